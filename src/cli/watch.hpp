// `progressctl watch`: a session followed live in a terminal, over the event stream, with
// polling as the fallback.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

namespace progressd::cli {

struct watch_options {
    bool tty = false;  ///< redraw one screen with colours; otherwise one line per change
    std::chrono::milliseconds poll_interval{2000};
    std::string token;  ///< --token / PROGRESSD_TOKEN: a bearer token, may be empty
};

/// Follows session `id` until it completes or expires, printing what the server sends with
/// every control character replaced (see terminal_text.hpp), and at the end one line saying
/// how the run ended. "With errors" means a tool in `error`, an entry in `errors`, or an entry
/// in the session's error log (where `progressctl send --error` writes). Returns 0 when it
/// completes without errors, 2 when it completes with errors, 1 when it expires or the server
/// cannot be reached.
int run_watch(const std::string& base_url, const std::string& id, const watch_options& options,
              std::ostream& out);

}  // namespace progressd::cli
