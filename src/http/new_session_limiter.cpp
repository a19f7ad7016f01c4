#include "http/new_session_limiter.hpp"

#include <algorithm>
#include <functional>

namespace progressd::http {

new_session_limiter::new_session_limiter(double rate, double burst, std::size_t remembered,
                                         std::chrono::seconds horizon)
    : tokens_(rate, burst), remembered_(std::max<std::size_t>(remembered, 1)), horizon_(horizon) {}

void new_session_limiter::remember(recent_ids& ids, std::string_view session_id) const {
    ids.order.emplace_front(session_id);
    // The key views the list's copy, which stays put until its entry is erased.
    ids.index.emplace(ids.order.front(), ids.order.begin());
    if (ids.order.size() > remembered_) {
        ids.index.erase(ids.order.back());
        ids.order.pop_back();
    }
}

void new_session_limiter::sweep(shard& s, clock_type::time_point now) const {
    std::erase_if(s.clients,
                  [&](const auto& entry) { return now - entry.second.last_write >= horizon_; });
    s.next_sweep = now + std::max<clock_type::duration>(horizon_ / 10, std::chrono::seconds(1));
}

unsigned new_session_limiter::take(std::string_view client, std::string_view session_id,
                                   clock_type::time_point now) {
    if (!enabled()) return 0;
    auto& s = shards_[std::hash<std::string_view>{}(client) % shard_count];
    const std::lock_guard lock(s.mutex);
    if (now >= s.next_sweep) sweep(s, now);
    auto it = s.clients.find(std::string(client));
    if (it != s.clients.end()) {
        auto& ids = it->second;
        if (const auto known = ids.index.find(session_id); known != ids.index.end()) {
            ids.order.splice(ids.order.begin(), ids.order, known->second);
            ids.last_write = now;
            return 0;
        }
    }
    if (const unsigned wait = tokens_.take(client, now); wait != 0) return wait;
    if (it == s.clients.end()) it = s.clients.try_emplace(std::string(client)).first;
    remember(it->second, session_id);
    it->second.last_write = now;
    return 0;
}

std::size_t new_session_limiter::tracked_clients() const {
    std::size_t total = 0;
    for (const auto& s : shards_) {
        const std::lock_guard lock(s.mutex);
        total += s.clients.size();
    }
    return total;
}

}  // namespace progressd::http
