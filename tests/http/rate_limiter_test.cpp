#include "http/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace progressd::http {
namespace {

using namespace std::chrono_literals;

TEST(rate_limiter, a_burst_passes_then_the_next_request_waits_for_a_token) {
    rate_limiter limiter(2, 5);
    const auto t0 = rate_limiter::clock_type::time_point{} + 100s;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.take("a", t0), 0u) << i;
    EXPECT_EQ(limiter.take("a", t0), 1u);  // half a second to the next token: say 1 s
    EXPECT_EQ(limiter.take("a", t0 + 499ms), 1u);
    EXPECT_EQ(limiter.take("a", t0 + 501ms), 0u);
}

TEST(rate_limiter, retry_after_covers_the_whole_wait_at_slow_rates) {
    rate_limiter limiter(0.1, 1);  // one request per ten seconds
    const auto t0 = rate_limiter::clock_type::time_point{} + 100s;
    EXPECT_EQ(limiter.take("a", t0), 0u);
    EXPECT_EQ(limiter.take("a", t0), 10u);
    EXPECT_EQ(limiter.take("a", t0 + 10s), 0u);
}

TEST(rate_limiter, clients_have_separate_buckets) {
    rate_limiter limiter(1, 1);
    const auto t0 = rate_limiter::clock_type::time_point{} + 100s;
    EXPECT_EQ(limiter.take("a", t0), 0u);
    EXPECT_NE(limiter.take("a", t0), 0u);
    EXPECT_EQ(limiter.take("b", t0), 0u);
}

TEST(rate_limiter, a_rate_of_zero_allows_everything) {
    rate_limiter limiter(0, 1);
    EXPECT_FALSE(limiter.enabled());
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(limiter.take("a"), 0u);
}

TEST(rate_limiter, full_buckets_are_forgotten_so_memory_follows_active_clients) {
    rate_limiter limiter(10, 10);
    const auto t0 = rate_limiter::clock_type::time_point{} + 100s;
    for (int i = 0; i < 1000; ++i) limiter.take("client-" + std::to_string(i), t0);
    EXPECT_EQ(limiter.tracked_clients(), 1000u);
    // Two seconds later every bucket has refilled; takes reaching each shard sweep them away,
    // leaving only the buckets the late clients just drew from.
    for (int i = 0; i < 200; ++i) limiter.take("late-" + std::to_string(i), t0 + 2s);
    EXPECT_EQ(limiter.tracked_clients(), 200u);
}

}  // namespace
}  // namespace progressd::http
