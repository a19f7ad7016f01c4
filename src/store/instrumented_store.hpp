// A store that forwards every call to another one and records in the metrics registry how long
// each took and whether it failed. The server wraps whichever backend --store names in it.
#pragma once

#include "metrics/registry.hpp"
#include "store/store.hpp"
#include "store/store_spec.hpp"

#include <memory>
#include <string_view>

namespace progressd::store {

/// The backend label of the store metrics: "memory", "sqlite", "redis" or "kv-rest".
std::string_view backend_label(store_spec::kind backend);

/// Whether `error`, returned by a store call, counts in progressd_store_errors_total: the store
/// failed (unavailable, timeout, io_error, storage_full, log_full, or an error of another
/// category). The answers not_found and conflict are the store working, not failing.
bool is_store_failure(const boost::system::error_code& error);

/// Records each call as observe_store(<the method's name>, latency, failed), except a call that
/// answers store_errc::unsupported: that one is a property of the backend, not a store call.
///
/// Example:
///   auto s = std::make_unique<instrumented_store>(open_store(spec, options, clock), metrics);
///   co_await s->get("s1");  // progressd_store_operation_duration_seconds{operation="get"}
class instrumented_store final : public store {
public:
    instrumented_store(std::unique_ptr<store> inner, metrics::registry& metrics);

    boost::asio::awaitable<result<stored_progress>> get(std::string session_id) override;
    boost::asio::awaitable<result<std::uint64_t>> put(std::string session_id,
                                                      std::string progress_json,
                                                      std::chrono::seconds ttl) override;
    boost::asio::awaitable<result<std::uint64_t>> put_if(
        std::string session_id, std::string progress_json, std::chrono::seconds ttl,
        std::optional<std::uint64_t> expected) override;
    boost::asio::awaitable<result<std::uint64_t>> append_log(std::string session_id,
                                                             std::string entry_json,
                                                             std::chrono::seconds ttl) override;
    boost::asio::awaitable<result<std::string>> get_log(std::string session_id) override;
    boost::asio::awaitable<result<std::vector<watch_state>>> snapshot(
        std::vector<std::string> session_ids) override;
    boost::asio::awaitable<result<session_page>> list(std::string cursor,
                                                      std::size_t limit) override;
    boost::asio::awaitable<result<bool>> remove(std::string session_id) override;
    boost::asio::awaitable<result<std::uint64_t>> count() override;
    std::optional<std::uint64_t> published_count() const override;
    boost::asio::awaitable<result<std::string>> claim_write_key(std::string session_id,
                                                                std::string key_digest,
                                                                std::chrono::seconds ttl) override;
    boost::asio::awaitable<result<void>> ping() override;
    void close() override { inner_->close(); }

    /// The wrapped backend, for what only it offers.
    store& inner() { return *inner_; }

private:
    const std::unique_ptr<store> inner_;
    metrics::registry& metrics_;
};

}  // namespace progressd::store
