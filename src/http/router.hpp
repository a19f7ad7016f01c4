// Request target → endpoint. Paths are decoded one segment at a time with Boost.URL, so an
// encoded "%2F" inside a session id stays inside that id (and is then refused by the id rule).
#pragma once

#include "http/response.hpp"

#include <boost/beast/http/verb.hpp>

#include <string>
#include <string_view>
#include <variant>

namespace progressd::http {

enum class endpoint {
    progress,
    progress_log,
    progress_events,
    healthz,
    readyz,
    start_page,      ///< "/"
    live_page,       ///< "/live/{sessionId}", the dashboard
    asset,           ///< "/assets/{name}", a file of web/
    admin_sessions,  ///< "/api/admin/sessions"
    admin_stats,     ///< "/api/admin/stats"
    metrics,         ///< "/metrics", Prometheus text format
};

/// The endpoint's name in logs and metrics, e.g. "progress_log".
std::string_view endpoint_name(endpoint e);

struct route {
    endpoint target = endpoint::healthz;
    std::string session_id;    ///< decoded; set for the progress endpoints and live_page
    std::string asset_name{};  ///< decoded; set for asset (which may not exist)
};

/// The endpoint that `target` (origin-form "/api/…" or absolute-form "http://h/api/…") names,
/// or the error reply: 404 for an unknown path, 400 for an unparsable target or a bad session id.
/// A query string is ignored. Example: match_route("/api/progress/a%20b/log") →
/// route{progress_log, "a b"}; match_route("/live/a%20b") → route{live_page, "a b"}.
std::variant<route, reply> match_route(std::string_view target);

/// The decoded value of the query parameter `name` of `target`, or "" when it has none.
/// Example: query_parameter("/api/admin/sessions?limit=10&cursor=a%3Ab", "cursor") → "a:b".
std::string query_parameter(std::string_view target, std::string_view name);

/// Whether `method` is served by `e` (HEAD wherever GET is), and the Allow header for a 405.
bool is_allowed(endpoint e, boost::beast::http::verb method);
std::string_view allowed_methods(endpoint e);

}  // namespace progressd::http
