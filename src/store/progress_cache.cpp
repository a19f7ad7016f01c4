#include "store/progress_cache.hpp"

namespace progressd::store {

std::optional<stored_progress> progress_cache::get(const std::string& session_id,
                                                   std::int64_t now_ms) {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(session_id);
    if (it == entries_.end() || it->second.expires_at_ms <= now_ms) return std::nullopt;
    return it->second.progress;
}

void progress_cache::write(const std::string& session_id, stored_progress p,
                           std::int64_t expires_at_ms) {
    const std::lock_guard lock(mutex_);
    insert_locked(session_id, {std::move(p), expires_at_ms});
}

void progress_cache::erase(const std::string& session_id) {
    const std::lock_guard lock(mutex_);
    entries_.erase(session_id);
    ++epoch_;
}

std::uint64_t progress_cache::epoch() {
    const std::lock_guard lock(mutex_);
    return epoch_;
}

void progress_cache::fill(const std::string& session_id, const stored_progress& p,
                          std::int64_t expires_at_ms, std::int64_t now_ms, std::uint64_t epoch) {
    const std::lock_guard lock(mutex_);
    // A deletion committed since the read began: what it read may be the deleted session.
    if (epoch != epoch_) return;
    const auto it = entries_.find(session_id);
    const bool newer_cached = it != entries_.end() && it->second.expires_at_ms > now_ms &&
                              it->second.progress.version >= p.version;
    if (!newer_cached) insert_locked(session_id, {p, expires_at_ms});
}

void progress_cache::insert_locked(const std::string& session_id, entry e) {
    auto it = entries_.find(session_id);
    if (it != entries_.end()) {
        it->second = std::move(e);
        return;
    }
    // Full: drop an arbitrary entry. Cheaper than LRU bookkeeping on every read, and a dropped
    // session costs one SQLite read to come back.
    if (entries_.size() >= max_entries_ && !entries_.empty()) entries_.erase(entries_.begin());
    entries_.emplace(session_id, std::move(e));
}

}  // namespace progressd::store
