#include "store/memory_store.hpp"

namespace progressd::store {
namespace {

std::string join_json_array(const std::vector<std::string>& entries) {
    std::string array = "[";
    for (const auto& entry : entries) {
        if (array.size() > 1) array += ',';
        array += entry;
    }
    array += ']';
    return array;
}

// Expired entries are dropped lazily on access and by a sweep at most this often.
constexpr auto purge_interval = std::chrono::seconds(10);
}  // namespace

memory_store::memory_store(const clock& clock) : clock_(clock) {}

boost::asio::awaitable<result<stored_progress>> memory_store::get(std::string session_id) {
    const std::lock_guard lock(mutex_);
    const auto it = progress_.find(session_id);
    if (it == progress_.end() || it->second.expires_at <= clock_.now()) {
        co_return store_errc::not_found;
    }
    co_return it->second.progress;
}

boost::asio::awaitable<result<std::uint64_t>> memory_store::put(std::string session_id,
                                                                std::string progress_json,
                                                                std::chrono::seconds ttl) {
    const std::lock_guard lock(mutex_);
    const wall_time now = clock_.now();
    purge_expired_locked(now);
    co_return write_locked(std::move(session_id), std::move(progress_json), now + ttl);
}

boost::asio::awaitable<result<std::uint64_t>> memory_store::put_if(
    std::string session_id, std::string progress_json, std::chrono::seconds ttl,
    std::optional<std::uint64_t> expected) {
    const std::lock_guard lock(mutex_);
    const wall_time now = clock_.now();
    const auto it = progress_.find(session_id);
    const bool exists = it != progress_.end() && it->second.expires_at > now;
    if (exists != expected.has_value() || (exists && it->second.progress.version != *expected)) {
        co_return store_errc::conflict;
    }
    co_return write_locked(std::move(session_id), std::move(progress_json), now + ttl);
}

boost::asio::awaitable<result<std::uint64_t>> memory_store::append_log(std::string session_id,
                                                                       std::string entry_json,
                                                                       std::chrono::seconds ttl) {
    const std::lock_guard lock(mutex_);
    const wall_time now = clock_.now();
    purge_expired_locked(now);
    auto& log = logs_[std::move(session_id)];
    if (log.expires_at <= now) log.entries.clear();
    log.entries.push_back(std::move(entry_json));
    log.expires_at = now + ttl;
    co_return log.entries.size();
}

boost::asio::awaitable<result<std::string>> memory_store::get_log(std::string session_id) {
    const std::lock_guard lock(mutex_);
    const auto it = logs_.find(session_id);
    if (it == logs_.end() || it->second.expires_at <= clock_.now()) co_return std::string("[]");
    co_return join_json_array(it->second.entries);
}

boost::asio::awaitable<result<void>> memory_store::ping() { co_return result<void>{}; }

std::uint64_t memory_store::write_locked(std::string session_id, std::string progress_json,
                                         wall_time expires_at) {
    auto& record = progress_[std::move(session_id)];
    record.progress.json = std::move(progress_json);
    record.progress.version += 1;
    record.expires_at = expires_at;
    return record.progress.version;
}

void memory_store::purge_expired_locked(wall_time now) {
    if (now < next_purge_) return;
    next_purge_ = now + purge_interval;
    std::erase_if(progress_, [now](const auto& entry) { return entry.second.expires_at <= now; });
    std::erase_if(logs_, [now](const auto& entry) { return entry.second.expires_at <= now; });
}

}  // namespace progressd::store
