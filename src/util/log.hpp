// Logging setup. progressd logs to stderr (stdout stays free for --help and --version) through a
// buffered sink: one access-log line per request must not cost one write(2) per request, so
// lines are flushed once a second, and at once from warning level up and at exit.
#pragma once

#include <string>

namespace progressd {

/// Makes a stderr logger at `level` ("trace" … "off") the default spdlog logger. With `json`,
/// every line is one JSON object: {"time","level","message"} for ordinary lines, and for a
/// structured record (a message that is itself a JSON object starting with {"type":, such as
/// an access line) the record's members after "time" and "level".
void configure_logging(const std::string& level, bool json = false);

/// Writes out buffered lines now (after the startup line, so that a supervisor sees it at once).
void flush_logs();

}  // namespace progressd
