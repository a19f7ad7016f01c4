// The application's front door: every routed request passes the rate limit of its client and
// the access policy before it reaches progress_api or admin_api. Keeping both checks here, in
// front of every handler, means no route can forget them, and a refused request never touches
// the store (so a refusal cannot tell whether a session exists).
#pragma once

#include "api/access_policy.hpp"
#include "api/admin_api.hpp"
#include "api/progress_api.hpp"
#include "api/write_meter.hpp"
#include "http/new_session_limiter.hpp"
#include "http/rate_limiter.hpp"
#include "http/request_handler.hpp"

namespace progressd::api {

/// Token buckets (docs/security.md). "Client" is an IPv4 address or an IPv6 /64 (limit_key);
/// a rate of 0 turns that bucket off. The per-client buckets are sized for a room of machines
/// behind one router, the per-session one for one honest script.
struct rate_limits {
    double write_rate = 200;  ///< writes per client per second
    double write_burst = 1000;
    double read_rate = 200;  ///< reads per client per second; an event stream is one, at connect
    double read_burst = 1000;
    double session_write_rate = 10;  ///< writes per second per client and session
    double session_write_burst = 30;
    double new_session_rate = 2;  ///< session ids per second a client may start writing to
    double new_session_burst = 200;
};

/// The access a request needs: read for GETs of session data and event streams, write for
/// POST/PATCH/DELETE, admin for the admin API, and open for pages, assets and health checks.
/// /metrics needs the admin token when one is configured and is open otherwise.
access required_access(http::endpoint e, boost::beast::http::verb method,
                       const access_policy& policy);

class gateway final : public http::request_handler {
public:
    gateway(progress_api& progress, admin_api& admin, write_meter& writes,
            metrics::registry& metrics, access_policy policy, const rate_limits& limits);

    boost::asio::awaitable<http::reply> handle(const http::route& r, const http::request& req,
                                               const http::peer& from) override;

private:
    /// The 429 for `client` (a limit_key) over one of its limits, or nullopt. A write to a
    /// session passes the new-id, then the session's, then the client's bucket: a refusal by an
    /// earlier one takes nothing from the later ones, so a runaway loop on one session or a
    /// flood of fresh ids does not drain the bucket that the client's other sessions share.
    std::optional<http::reply> over_limit(const http::route& r, const http::request& req,
                                          const std::string& client);

    progress_api& progress_;
    admin_api& admin_;
    write_meter& writes_;
    metrics::registry& metrics_;
    access_policy policy_;
    rate_limits limits_;
    http::rate_limiter write_limiter_;
    http::rate_limiter read_limiter_;
    http::rate_limiter session_write_limiter_;
    http::new_session_limiter new_sessions_;
};

}  // namespace progressd::api
