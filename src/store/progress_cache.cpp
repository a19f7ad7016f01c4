#include "store/progress_cache.hpp"

#include <functional>

namespace progressd::store {

progress_cache::progress_cache(std::size_t max_entries) : max_entries_(max_entries) {
    slots_.reserve(max_entries_);
}

std::optional<stored_progress> progress_cache::get(const std::string& session_id,
                                                   std::int64_t now_ms) {
    const std::lock_guard lock(mutex_);
    const auto it = index_.find(session_id);
    if (it == index_.end()) return std::nullopt;
    auto& e = slots_[it->second];
    if (e.expires_at_ms <= now_ms) return std::nullopt;
    e.referenced = true;
    return e.progress;
}

progress_cache::stripe& progress_cache::stripe_of(const std::string& session_id) {
    return stripes_[std::hash<std::string>{}(session_id) % stripe_count];
}

void progress_cache::begin_write(const std::string& session_id) {
    const std::lock_guard lock(mutex_);
    auto& s = stripe_of(session_id);
    ++s.generation;
    ++s.writes_in_flight;
}

void progress_cache::end_write(const std::string& session_id) {
    const std::lock_guard lock(mutex_);
    auto& s = stripe_of(session_id);
    ++s.generation;
    --s.writes_in_flight;
}

void progress_cache::write(const std::string& session_id, stored_progress p,
                           std::int64_t expires_at_ms) {
    const std::lock_guard lock(mutex_);
    insert_locked(session_id, std::move(p), expires_at_ms);
}

void progress_cache::erase(const std::string& session_id) {
    const std::lock_guard lock(mutex_);
    const auto it = index_.find(session_id);
    if (it == index_.end()) return;
    // The slot stays, expired, so the clock's ring keeps its shape; it is the next one reused.
    slots_[it->second].expires_at_ms = 0;
    slots_[it->second].referenced = false;
    slots_[it->second].session_id.clear();
    index_.erase(it);
}

progress_cache::ticket progress_cache::take_ticket(const std::string& session_id) {
    const std::lock_guard lock(mutex_);
    const auto& s = stripe_of(session_id);
    if (s.writes_in_flight != 0) return std::nullopt;
    return s.generation;
}

void progress_cache::fill(const std::string& session_id, const stored_progress& p,
                          std::int64_t expires_at_ms, std::int64_t now_ms, ticket t) {
    if (!t || expires_at_ms <= now_ms) return;
    const std::lock_guard lock(mutex_);
    if (stripe_of(session_id).generation != *t) return;
    insert_locked(session_id, p, expires_at_ms);
}

void progress_cache::insert_locked(const std::string& session_id, stored_progress p,
                                   std::int64_t expires_at_ms) {
    if (max_entries_ == 0) return;
    if (const auto it = index_.find(session_id); it != index_.end()) {
        auto& e = slots_[it->second];
        e.progress = std::move(p);
        e.expires_at_ms = expires_at_ms;
        return;
    }
    std::size_t slot = 0;
    if (slots_.size() < max_entries_) {
        slot = slots_.size();
        slots_.emplace_back();
    } else {
        slot = victim_locked();
        if (!slots_[slot].session_id.empty()) index_.erase(slots_[slot].session_id);
    }
    slots_[slot] = entry{session_id, std::move(p), expires_at_ms, false};
    index_.emplace(session_id, slot);
}

// CLOCK: an erased slot or an unmarked entry goes; a marked one is spared once. Ends within two
// turns of the ring, since the first turn clears every mark. The hand moves past the slot it
// picks, so a new entry waits a whole turn before it can be picked.
std::size_t progress_cache::victim_locked() {
    for (;;) {
        auto& e = slots_[hand_];
        const std::size_t at = hand_;
        hand_ = (hand_ + 1) % slots_.size();
        if (e.session_id.empty() || !e.referenced) return at;
        e.referenced = false;
    }
}

}  // namespace progressd::store
