// The admin API (admin token; docs/security.md): a paginated list of stored sessions with a
// summary of each, and the server's vital statistics. Deleting a session is DELETE on the
// progress route (progress_api), as a script may delete its own session with a write token.
#pragma once

#include "api/write_meter.hpp"
#include "http/request_handler.hpp"
#include "live/hub.hpp"
#include "metrics/registry.hpp"
#include "store/store.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace progressd::api {

struct admin_options {
    std::string store_name;  ///< "sqlite", "memory", "redis" or "kv-rest"
    std::size_t default_page = 100;
    std::size_t max_page = 1000;
    std::function<std::size_t()> open_connections;  ///< for the metrics; may be empty
};

class admin_api {
public:
    admin_api(store::store& store, const live::hub& hub, const write_meter& writes,
              const metrics::registry& metrics, admin_options options);

    /// GET /api/admin/sessions?cursor=&limit=
    boost::asio::awaitable<http::reply> sessions(const http::request& req);
    /// GET /api/admin/stats
    boost::asio::awaitable<http::reply> stats();
    /// GET /metrics, in Prometheus text format.
    boost::asio::awaitable<http::reply> metrics();

private:
    store::store& store_;
    const live::hub& hub_;
    const write_meter& writes_;
    const metrics::registry& metrics_;
    admin_options options_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

/// The summary of one session that the admin list shows, as a JSON object:
/// {"sessionId","currentStep","totalSteps"?,"complete","phase","tools":{"pending":n,…},
///  "errors":n,"updatedAt","expiresIn"}. Reads only what it finds; a stored document that is
/// not a ProgressData object gives the id and expiry alone.
std::string session_summary_json(const store::store::listed_session& session);

}  // namespace progressd::api
