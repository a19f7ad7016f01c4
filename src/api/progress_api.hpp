// The Progress Tracking API, route by route: decode the body, validate it, call the store, and
// answer exactly as the original Next.js handlers did (plus the documented improvements); also
// PATCH, the event stream, health checks, and the compiled-in web pages.
#pragma once

#include "api/readiness_probe.hpp"
#include "api/write_keys.hpp"
#include "http/request_handler.hpp"
#include "live/hub.hpp"
#include "live/sse_stream.hpp"
#include "metrics/registry.hpp"
#include "model/quotas.hpp"
#include "store/store.hpp"
#include "util/clock.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>

namespace progressd::api {

struct api_options {
    std::chrono::seconds ttl{3600};  ///< time to live of progress and logs, refreshed by writes
    std::chrono::milliseconds heartbeat{std::chrono::seconds(15)};  ///< event stream keep-alive
    model::quota_limits quotas;
    std::uint64_t max_log_entries = 1000;  ///< the store's quota, for the 429 that reports it
    std::uint64_t max_log_bytes = std::uint64_t{1} << 20;  ///< likewise, of the log's JSON text
    /// A write whose progress JSON would be longer is refused with 429 (nothing stored).
    std::uint64_t max_progress_bytes = std::uint64_t{1} << 20;
    bool session_keys = false;  ///< per-session write keys (api/write_keys.hpp)
};

class progress_api final : public http::request_handler {
public:
    /// Writes go to `store`; every accepted write is also published to `hub`'s watchers.
    progress_api(store::store& store, live::hub& hub, const clock& clock,
                 metrics::registry& metrics, const api_options& options);

    boost::asio::awaitable<http::reply> handle(const http::route& r, const http::request& req,
                                               const http::peer& from) override;

private:
    boost::asio::awaitable<http::reply> route_request(const http::route& r,
                                                      const http::request& req,
                                                      const http::peer& from);
    boost::asio::awaitable<http::reply> get_progress(std::string session_id);
    boost::asio::awaitable<http::reply> post_progress(std::string session_id,
                                                      const http::request& req);
    boost::asio::awaitable<http::reply> patch_progress(std::string session_id,
                                                       const http::request& req);
    /// PATCH's read-merge-check-write attempts; claims the write key into `granted` once the
    /// first merged document passed its checks.
    boost::asio::awaitable<http::reply> patch_loop(const std::string& session_id,
                                                   const boost::json::value& patch,
                                                   const http::request& req,
                                                   std::optional<write_permit>& granted);
    boost::asio::awaitable<http::reply> remove_progress(std::string session_id);
    boost::asio::awaitable<http::reply> get_log(std::string session_id);
    boost::asio::awaitable<http::reply> post_log(std::string session_id, const http::request& req);
    boost::asio::awaitable<http::reply> events(std::string session_id, const http::request& req,
                                               const http::peer& from);
    boost::asio::awaitable<http::reply> readiness();
    /// The 429 for a progress JSON text past --max-progress-bytes, or nullopt when it fits.
    std::optional<http::reply> check_progress_size(const std::string& json) const;
    /// With session keys on, checks (or claims) the session's write key for a write.
    boost::asio::awaitable<std::variant<write_permit, http::reply>> permit_write(
        const std::string& session_id, const http::request& req, std::string_view write_action);

    store::store& store_;
    live::hub& hub_;
    const clock& clock_;
    metrics::registry& metrics_;
    api_options options_;
    readiness_probe readiness_;
};

}  // namespace progressd::api
