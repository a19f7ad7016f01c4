// Writes in the last minute, for GET /api/admin/stats: sixty one-second slots, each stamped with
// the second it counts, so a slot left from an earlier minute is recognised and not summed.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace progressd::api {

class write_meter {
public:
    using clock_type = std::chrono::steady_clock;

    void record(clock_type::time_point now = clock_type::now()) {
        const auto second = seconds_of(now);
        auto& slot = slots_[second % slots_.size()];
        // Claiming a stale slot races only with writes of the same second on other threads;
        // losing one of those counts is acceptable for a statistic.
        if (slot.second.load(std::memory_order_relaxed) != second) {
            slot.count.store(0, std::memory_order_relaxed);
            slot.second.store(second, std::memory_order_relaxed);
        }
        slot.count.fetch_add(1, std::memory_order_relaxed);
    }

    /// Writes recorded in the 60 seconds up to `now`.
    std::uint64_t last_minute(clock_type::time_point now = clock_type::now()) const {
        const auto second = seconds_of(now);
        std::uint64_t total = 0;
        for (const auto& slot : slots_) {
            const auto stamped = slot.second.load(std::memory_order_relaxed);
            if (stamped + slots_.size() > second && stamped <= second) {
                total += slot.count.load(std::memory_order_relaxed);
            }
        }
        return total;
    }

private:
    static std::uint64_t seconds_of(clock_type::time_point t) {
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
    }

    struct second_slot {
        std::atomic<std::uint64_t> second{0};
        std::atomic<std::uint64_t> count{0};
    };
    std::array<second_slot, 60> slots_{};
};

}  // namespace progressd::api
