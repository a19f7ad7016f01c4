// The application's front door: every routed request passes the rate limit of its client and
// the access policy before it reaches progress_api or admin_api. Keeping both checks here, in
// front of every handler, means no route can forget them, and a refused request never touches
// the store (so a refusal cannot tell whether a session exists).
#pragma once

#include "api/access_policy.hpp"
#include "api/admin_api.hpp"
#include "api/progress_api.hpp"
#include "api/write_meter.hpp"
#include "http/rate_limiter.hpp"
#include "http/request_handler.hpp"

namespace progressd::api {

struct rate_limits {
    double write_rate = 20;  ///< per client IP per second; 0 = unlimited
    double write_burst = 60;
    double read_rate = 50;
    double read_burst = 100;
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
    /// The 429 for a client over its limit, or nullopt.
    std::optional<http::reply> over_limit(const http::route& r, const http::request& req,
                                          const http::peer& from);

    progress_api& progress_;
    admin_api& admin_;
    write_meter& writes_;
    metrics::registry& metrics_;
    access_policy policy_;
    rate_limits limits_;
    http::rate_limiter write_limiter_;
    http::rate_limiter read_limiter_;
};

}  // namespace progressd::api
