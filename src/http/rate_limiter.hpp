// Per-client token buckets: each client (IP address) may make `rate` requests a second on
// average and `burst` at once. A request takes one token; a bucket refills continuously.
//
// DESIGN. Buckets live in a few shards, each a map under its own mutex, so I/O threads rarely
// wait for each other; a take is a hash, a lock and a little arithmetic. A bucket that has
// refilled completely carries no information (a new bucket starts full), so sweeping such
// buckets away bounds memory by the clients active in the last burst/rate seconds, whatever
// the number of addresses that ever called.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace progressd::http {

class rate_limiter {
public:
    using clock_type = std::chrono::steady_clock;

    /// `rate` tokens per second, at most `burst` stored. A rate of 0 allows everything.
    rate_limiter(double rate, double burst);

    bool enabled() const { return rate_ > 0; }

    /// Takes a token from `client`'s bucket at time `now`: 0 when allowed, otherwise the whole
    /// seconds to wait before a token is there (for Retry-After; at least 1).
    unsigned take(std::string_view client, clock_type::time_point now = clock_type::now());

    /// The number of clients with a bucket that is not full (for tests and metrics).
    std::size_t tracked_clients() const;

private:
    struct bucket {
        double tokens;
        clock_type::time_point updated;
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, bucket> buckets;
        clock_type::time_point next_sweep{};
    };
    static constexpr std::size_t shard_count = 16;

    void refill(bucket& b, clock_type::time_point now) const;
    void sweep(shard& s, clock_type::time_point now) const;

    double rate_;
    double burst_;
    std::array<shard, shard_count> shards_;
};

}  // namespace progressd::http
