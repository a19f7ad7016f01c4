#include "http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>

namespace progressd::http {

rate_limiter::rate_limiter(double rate, double burst) : rate_(rate), burst_(std::max(burst, 1.0)) {}

void rate_limiter::refill(bucket& b, clock_type::time_point now) const {
    const std::chrono::duration<double> elapsed = now - b.updated;
    if (elapsed.count() > 0) {
        b.tokens = std::min(burst_, b.tokens + elapsed.count() * rate_);
        b.updated = now;
    }
}

void rate_limiter::sweep(shard& s, clock_type::time_point now) const {
    for (auto it = s.buckets.begin(); it != s.buckets.end();) {
        refill(it->second, now);
        it = it->second.tokens >= burst_ ? s.buckets.erase(it) : std::next(it);
    }
    // A bucket refills completely within burst/rate seconds; sweeping more often finds little.
    s.next_sweep = now + std::chrono::duration_cast<clock_type::duration>(
                             std::chrono::duration<double>(std::max(burst_ / rate_, 1.0)));
}

unsigned rate_limiter::take(std::string_view client, clock_type::time_point now) {
    if (!enabled()) return 0;
    auto& s = shards_[std::hash<std::string_view>{}(client) % shard_count];
    const std::lock_guard lock(s.mutex);
    if (now >= s.next_sweep) sweep(s, now);
    auto [it, inserted] = s.buckets.try_emplace(std::string(client), bucket{burst_, now});
    bucket& b = it->second;
    if (!inserted) refill(b, now);
    if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
    }
    const double wait_seconds = (1 - b.tokens) / rate_;
    return std::max(1u, static_cast<unsigned>(std::ceil(wait_seconds)));
}

std::size_t rate_limiter::tracked_clients() const {
    std::size_t total = 0;
    for (const auto& s : shards_) {
        const std::lock_guard lock(s.mutex);
        total += s.buckets.size();
    }
    return total;
}

}  // namespace progressd::http
