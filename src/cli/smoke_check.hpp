// `progressctl check`: the original app's smoke flow (store, read back, update, log, read log,
// unknown session) against any deployment of the API, progressd or the original Next.js app.
#pragma once

#include <ostream>
#include <string>

namespace progressd::cli {

/// Runs the six smoke steps against `base_url` under a fresh random session id, printing one
/// line per step to `out` ("✓ …", or "✗ …: reason") and then "N passed, M failed". A step that
/// fails, even on a transport error, does not stop the later ones; but when nothing answers at
/// all the check stops with the single line "nothing answers at HOST:PORT (reason)". `token`,
/// when not empty, goes with every request as a bearer token; a write key the server hands
/// over (under --session-keys) is sent with the later writes. Returns 0 when every step passed
/// and 1 otherwise. Throws std::invalid_argument when `base_url` is not an http URL (see
/// http_client), before any step runs.
int run_smoke_check(const std::string& base_url, std::ostream& out, const std::string& token = {});

}  // namespace progressd::cli
