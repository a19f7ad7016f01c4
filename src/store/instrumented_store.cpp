#include "store/instrumented_store.hpp"

#include <chrono>

namespace progressd::store {
namespace {

using steady = std::chrono::steady_clock;

// Awaits `call`, records it under `operation` and hands its result on unchanged. The latency is
// the caller's view: queueing on the backend's worker threads included.
template <class T>
boost::asio::awaitable<result<T>> timed(metrics::registry& metrics, std::string_view operation,
                                        boost::asio::awaitable<result<T>> call) {
    const auto start = steady::now();
    auto answer = co_await std::move(call);
    const auto latency = steady::now() - start;
    const bool unsupported = !answer && answer.error() == store_errc::unsupported;
    if (!unsupported) {
        metrics.observe_store(operation, latency, !answer && is_store_failure(answer.error()));
    }
    co_return answer;
}

}  // namespace

std::string_view backend_label(store_spec::kind backend) {
    switch (backend) {
        case store_spec::kind::memory:
            return "memory";
        case store_spec::kind::sqlite:
            return "sqlite";
        case store_spec::kind::redis:
            return "redis";
        case store_spec::kind::kv_rest:
            return "kv-rest";
    }
    return "unknown";
}

bool is_store_failure(const boost::system::error_code& error) {
    return error && error != store_errc::not_found && error != store_errc::conflict &&
           error != store_errc::unsupported;
}

instrumented_store::instrumented_store(std::unique_ptr<store> inner, metrics::registry& metrics)
    : inner_(std::move(inner)), metrics_(metrics) {}

boost::asio::awaitable<result<stored_progress>> instrumented_store::get(std::string session_id) {
    return timed(metrics_, "get", inner_->get(std::move(session_id)));
}

boost::asio::awaitable<result<std::uint64_t>> instrumented_store::put(std::string session_id,
                                                                      std::string progress_json,
                                                                      std::chrono::seconds ttl) {
    return timed(metrics_, "put",
                 inner_->put(std::move(session_id), std::move(progress_json), ttl));
}

boost::asio::awaitable<result<std::uint64_t>> instrumented_store::put_if(
    std::string session_id, std::string progress_json, std::chrono::seconds ttl,
    std::optional<std::uint64_t> expected) {
    return timed(metrics_, "put_if",
                 inner_->put_if(std::move(session_id), std::move(progress_json), ttl, expected));
}

boost::asio::awaitable<result<std::uint64_t>> instrumented_store::append_log(
    std::string session_id, std::string entry_json, std::chrono::seconds ttl) {
    return timed(metrics_, "append_log",
                 inner_->append_log(std::move(session_id), std::move(entry_json), ttl));
}

boost::asio::awaitable<result<std::string>> instrumented_store::get_log(std::string session_id) {
    return timed(metrics_, "get_log", inner_->get_log(std::move(session_id)));
}

// Forwarded whole, so a backend that asks for many sessions in one round trip still does, and
// the poller's call counts once as "snapshot" (the default one calls the inner get and get_log).
boost::asio::awaitable<result<std::vector<store::watch_state>>> instrumented_store::snapshot(
    std::vector<std::string> session_ids) {
    return timed(metrics_, "snapshot", inner_->snapshot(std::move(session_ids)));
}

boost::asio::awaitable<result<store::session_page>> instrumented_store::list(std::string cursor,
                                                                             std::size_t limit) {
    return timed(metrics_, "list", inner_->list(std::move(cursor), limit));
}

boost::asio::awaitable<result<bool>> instrumented_store::remove(std::string session_id) {
    return timed(metrics_, "remove", inner_->remove(std::move(session_id)));
}

std::optional<std::uint64_t> instrumented_store::published_count() const {
    return inner_->published_count();
}

boost::asio::awaitable<result<std::uint64_t>> instrumented_store::count() {
    return timed(metrics_, "count", inner_->count());
}

boost::asio::awaitable<result<std::string>> instrumented_store::claim_write_key(
    std::string session_id, std::string key_digest, std::chrono::seconds ttl) {
    return timed(metrics_, "claim_write_key",
                 inner_->claim_write_key(std::move(session_id), std::move(key_digest), ttl));
}

boost::asio::awaitable<result<void>> instrumented_store::ping() {
    return timed(metrics_, "ping", inner_->ping());
}

}  // namespace progressd::store
