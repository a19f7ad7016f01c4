#include "http/router.hpp"

#include "model/session_id.hpp"

#include <boost/url/parse.hpp>

#include <array>

namespace progressd::http {
namespace {

namespace urls = boost::urls;
using boost::beast::http::verb;

// Deep enough for every route; a longer path is an unknown route without decoding it all.
constexpr std::size_t max_route_segments = 5;

}  // namespace

std::variant<route, reply> match_route(std::string_view target) {
    auto parsed = urls::parse_origin_form(target);
    if (!parsed) parsed = urls::parse_absolute_uri(target);
    if (!parsed) return error_reply(400, "Invalid request target");

    std::array<std::string, max_route_segments> segments;
    std::size_t count = 0;
    for (const auto segment : parsed->encoded_segments()) {
        if (count == max_route_segments) return error_reply(404, "Not found");
        segments[count++] = segment.decode();
    }
    // One trailing slash is tolerated: "/api/progress/x/" is "/api/progress/x".
    if (count > 1 && segments[count - 1].empty()) --count;

    if (count == 1 && segments[0] == "healthz") return route{endpoint::healthz, {}};
    if (count == 1 && segments[0] == "readyz") return route{endpoint::readyz, {}};
    if (count == 1 && segments[0] == "metrics") return route{endpoint::metrics, {}};
    if (count == 3 && segments[0] == "api" && segments[1] == "admin") {
        if (segments[2] == "sessions") return route{endpoint::admin_sessions, {}};
        if (segments[2] == "stats") return route{endpoint::admin_stats, {}};
        return error_reply(404, "Not found");
    }
    if (count == 0) return route{endpoint::start_page, {}};
    if (count == 2 && segments[0] == "assets") {
        return route{endpoint::asset, {}, std::move(segments[1])};
    }
    if (count == 2 && segments[0] == "live") {
        if (const auto problem = model::session_id_problem(segments[1])) {
            return invalid_session_id_reply(*problem);
        }
        return route{endpoint::live_page, std::move(segments[1])};
    }

    const bool progress_prefix = count >= 3 && segments[0] == "api" && segments[1] == "progress";
    const bool is_progress = progress_prefix && count == 3;
    const bool is_log = progress_prefix && count == 4 && segments[3] == "log";
    const bool is_events = progress_prefix && count == 4 && segments[3] == "events";
    if (!is_progress && !is_log && !is_events) return error_reply(404, "Not found");

    if (const auto problem = model::session_id_problem(segments[2])) {
        return invalid_session_id_reply(*problem);
    }
    const endpoint e = is_log      ? endpoint::progress_log
                       : is_events ? endpoint::progress_events
                                   : endpoint::progress;
    return route{e, std::move(segments[2])};
}

bool is_allowed(endpoint e, verb method) {
    switch (e) {
        case endpoint::progress:
            return method == verb::get || method == verb::head || method == verb::post ||
                   method == verb::patch || method == verb::delete_ || method == verb::options;
        case endpoint::progress_log:
            return method == verb::get || method == verb::head || method == verb::post ||
                   method == verb::options;
        case endpoint::progress_events:
            return method == verb::get || method == verb::options;
        case endpoint::healthz:
        case endpoint::readyz:
        case endpoint::start_page:
        case endpoint::live_page:
        case endpoint::asset:
        case endpoint::metrics:
            return method == verb::get || method == verb::head;
        case endpoint::admin_sessions:
        case endpoint::admin_stats:
            return method == verb::get || method == verb::head || method == verb::options;
    }
    return false;
}

std::string_view allowed_methods(endpoint e) {
    switch (e) {
        case endpoint::progress:
            return "GET, HEAD, POST, PATCH, DELETE, OPTIONS";
        case endpoint::progress_log:
            return "GET, HEAD, POST, OPTIONS";
        case endpoint::progress_events:
            return "GET, OPTIONS";
        case endpoint::healthz:
        case endpoint::readyz:
        case endpoint::start_page:
        case endpoint::live_page:
        case endpoint::asset:
        case endpoint::metrics:
            return "GET, HEAD";
        case endpoint::admin_sessions:
        case endpoint::admin_stats:
            return "GET, HEAD, OPTIONS";
    }
    return "";
}

std::string_view endpoint_name(endpoint e) {
    switch (e) {
        case endpoint::progress:
            return "progress";
        case endpoint::progress_log:
            return "progress_log";
        case endpoint::progress_events:
            return "progress_events";
        case endpoint::healthz:
            return "healthz";
        case endpoint::readyz:
            return "readyz";
        case endpoint::start_page:
            return "start_page";
        case endpoint::live_page:
            return "live_page";
        case endpoint::asset:
            return "asset";
        case endpoint::admin_sessions:
            return "admin_sessions";
        case endpoint::admin_stats:
            return "admin_stats";
        case endpoint::metrics:
            return "metrics";
    }
    return "unmatched";
}

std::string query_parameter(std::string_view target, std::string_view name) {
    auto parsed = urls::parse_origin_form(target);
    if (!parsed) parsed = urls::parse_absolute_uri(target);
    if (!parsed) return {};
    for (const auto param : parsed->params()) {
        if (param.key == name && param.has_value) return param.value;
    }
    return {};
}

}  // namespace progressd::http
