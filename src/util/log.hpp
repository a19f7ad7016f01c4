// Logging setup. progressd logs to stderr (stdout stays free for --help and --version) through a
// buffered sink: one access-log line per request must not cost one write(2) per request, so
// lines are flushed once a second, and at once from warning level up and at exit.
#pragma once

#include <string>

namespace progressd {

/// Makes a stderr logger at `level` ("trace" … "off") the default spdlog logger.
void configure_logging(const std::string& level);

/// Writes out buffered lines now (after the startup line, so that a supervisor sees it at once).
void flush_logs();

}  // namespace progressd
