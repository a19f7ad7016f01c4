#include "api/gateway.hpp"

#include "http/client_address.hpp"

#include <cmath>

namespace progressd::api {
namespace {

namespace net = boost::asio;
using boost::beast::http::field;
using boost::beast::http::verb;

bool is_write(verb method) {
    return method == verb::post || method == verb::patch || method == verb::delete_;
}

// Health checks and scrapes come from the operator's own monitoring, at its own pace.
bool is_exempt_from_limits(http::endpoint e) {
    return e == http::endpoint::healthz || e == http::endpoint::readyz ||
           e == http::endpoint::metrics;
}

std::string describe_rate(double rate) {
    // 20 → "20", 0.5 → "0.5"
    const double whole = std::floor(rate);
    return whole == rate ? std::to_string(static_cast<long long>(rate)) : std::to_string(rate);
}

}  // namespace

access required_access(http::endpoint e, verb method, const access_policy& policy) {
    switch (e) {
        case http::endpoint::progress:
        case http::endpoint::progress_log:
            return is_write(method) ? access::write : access::read;
        case http::endpoint::progress_events:
            return access::read;
        case http::endpoint::admin_sessions:
        case http::endpoint::admin_stats:
            return access::admin;
        case http::endpoint::metrics:
            return policy.admin_enabled() ? access::admin : access::open;
        case http::endpoint::healthz:
        case http::endpoint::readyz:
        case http::endpoint::start_page:
        case http::endpoint::live_page:
        case http::endpoint::asset:
            return access::open;
    }
    return access::admin;
}

gateway::gateway(progress_api& progress, admin_api& admin, write_meter& writes,
                 metrics::registry& metrics, access_policy policy, const rate_limits& limits)
    : progress_(progress),
      admin_(admin),
      writes_(writes),
      metrics_(metrics),
      policy_(std::move(policy)),
      limits_(limits),
      write_limiter_(limits.write_rate, limits.write_burst),
      read_limiter_(limits.read_rate, limits.read_burst),
      session_write_limiter_(limits.session_write_rate, limits.session_write_burst),
      new_sessions_(limits.new_session_rate, limits.new_session_burst) {}

std::optional<http::reply> gateway::over_limit(const http::route& r, const http::request& req,
                                               const std::string& client) {
    if (is_exempt_from_limits(r.target)) return std::nullopt;
    const auto now = http::rate_limiter::clock_type::now();
    const auto refuse = [&](unsigned wait, metrics::rate_limit_kind kind, double rate,
                            std::string_view what) {
        metrics_.count_rate_limited(kind);
        return http::rate_limited_reply("More than " + describe_rate(rate) + std::string(what) +
                                            "; retry after " + std::to_string(wait) + " s",
                                        wait);
    };
    if (!is_write(req.method())) {
        const unsigned wait = read_limiter_.take(client, now);
        if (wait == 0) return std::nullopt;
        return refuse(wait, metrics::rate_limit_kind::read, limits_.read_rate,
                      " reads per second from this client");
    }
    const bool to_session =
        r.target == http::endpoint::progress || r.target == http::endpoint::progress_log;
    // DELETE never creates a session; every other write may.
    if (to_session && req.method() != verb::delete_) {
        const unsigned wait = new_sessions_.take(client, r.session_id, now);
        if (wait != 0) {
            return refuse(wait, metrics::rate_limit_kind::write, limits_.new_session_rate,
                          " new sessions per second from this client");
        }
    }
    if (to_session) {
        // A NUL cannot occur in an address, so no two (client, session) pairs share a key.
        const unsigned wait = session_write_limiter_.take(client + '\0' + r.session_id, now);
        if (wait != 0) {
            return refuse(wait, metrics::rate_limit_kind::write, limits_.session_write_rate,
                          " writes per second to this session");
        }
    }
    const unsigned wait = write_limiter_.take(client, now);
    if (wait == 0) return std::nullopt;
    return refuse(wait, metrics::rate_limit_kind::write, limits_.write_rate,
                  " writes per second from this client");
}

net::awaitable<http::reply> gateway::handle(const http::route& r, const http::request& req,
                                            const http::peer& from) {
    // Preflight requests carry no credentials by design; CORS is answered by the session.
    if (req.method() == verb::options) co_return http::json_reply("{}");
    // Limits and watcher counts go by limit_key: one IPv6 subscriber owns a whole /64.
    const http::peer client{http::limit_key(from.address)};
    if (auto refusal = over_limit(r, req, client.address)) co_return std::move(*refusal);

    const access needed = required_access(r.target, req.method(), policy_);
    // EventSource and a shared link cannot send headers: reads also take ?token=.
    const std::string query_token =
        needed == access::read ? http::query_parameter(req.target(), "token") : std::string();
    if (auto refusal = policy_.check(needed, req[field::authorization], query_token)) {
        metrics_.count_rejected(refusal->status == 401 ? metrics::rejection::unauthorized
                                                       : metrics::rejection::forbidden);
        co_return std::move(*refusal);
    }

    switch (r.target) {
        case http::endpoint::admin_sessions:
            co_return co_await admin_.sessions(req);
        case http::endpoint::admin_stats:
            co_return co_await admin_.stats();
        case http::endpoint::metrics:
            co_return co_await admin_.metrics();
        default:
            break;
    }
    http::reply answer = co_await progress_.handle(r, req, client);
    if (is_write(req.method()) && answer.status == 200) writes_.record();
    co_return answer;
}

}  // namespace progressd::api
