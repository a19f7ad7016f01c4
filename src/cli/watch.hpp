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
};

/// Follows session `id` until it completes or expires. Returns 0 when it completes without
/// errors, 2 when it completes with errors, 1 when it expires or the server cannot be reached.
int run_watch(const std::string& base_url, const std::string& id, const watch_options& options,
              std::ostream& out);

}  // namespace progressd::cli
