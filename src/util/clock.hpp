// Wall-clock time as an injectable dependency: stores compute expiry from it, and tests replace
// it with a manual clock instead of sleeping (STYLE.md §6).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace progressd {

using wall_time = std::chrono::system_clock::time_point;

class clock {
public:
    virtual ~clock() = default;
    virtual wall_time now() const = 0;
};

class system_clock final : public clock {
public:
    wall_time now() const override { return std::chrono::system_clock::now(); }
};

/// A clock that moves only when told to; thread-safe so stores may read it from their threads.
class manual_clock final : public clock {
public:
    explicit manual_clock(wall_time start = wall_time{std::chrono::hours(24 * 365 * 50)})
        : now_(start.time_since_epoch().count()) {}

    wall_time now() const override { return wall_time{wall_time::duration{now_.load()}}; }
    void advance(wall_time::duration by) { now_ += by.count(); }

private:
    std::atomic<wall_time::rep> now_;
};

/// "2026-11-26T12:23:04.123Z", the shape of JavaScript's Date.prototype.toISOString.
std::string to_iso8601(wall_time t);

inline std::int64_t to_unix_ms(wall_time t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace progressd
