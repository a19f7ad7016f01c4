#include "http/new_session_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace progressd::http {
namespace {

using namespace std::chrono_literals;
const auto t0 = new_session_limiter::clock_type::time_point{} + 100s;

TEST(new_session_limiter, ids_a_client_wrote_to_recently_cost_nothing) {
    new_session_limiter limiter(1, 3);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.take("a", "s" + std::to_string(i), t0), 0u);
    EXPECT_EQ(limiter.take("a", "s3", t0), 1u);  // a fourth new id waits for a token
    for (int round = 0; round < 100; ++round) {
        for (int i = 0; i < 3; ++i) ASSERT_EQ(limiter.take("a", "s" + std::to_string(i), t0), 0u);
    }
    EXPECT_EQ(limiter.take("a", "s3", t0 + 1s), 0u);
}

TEST(new_session_limiter, clients_have_separate_buckets_and_lists) {
    new_session_limiter limiter(1, 1);
    EXPECT_EQ(limiter.take("a", "x", t0), 0u);
    EXPECT_NE(limiter.take("a", "y", t0), 0u);
    EXPECT_EQ(limiter.take("b", "y", t0), 0u);
    // A session that "a" started is new to "b".
    EXPECT_NE(limiter.take("b", "x", t0), 0u);
}

TEST(new_session_limiter, a_flood_of_fresh_ids_is_limited_and_remembers_a_bounded_list) {
    new_session_limiter limiter(2, 200, 256);
    int allowed = 0;
    for (int i = 0; i < 10000; ++i) {
        if (limiter.take("a", "flood-" + std::to_string(i), t0 + i * 300us) == 0) ++allowed;
    }
    EXPECT_GE(allowed, 200);
    EXPECT_LE(allowed, 200 + 7);  // the burst and 3 s of refill
    // The bucket is empty, yet a session the client did start keeps working.
    EXPECT_NE(limiter.take("a", "brand-new", t0 + 3s), 0u);
    EXPECT_EQ(limiter.take("a", "flood-0", t0 + 3s), 0u);
}

TEST(new_session_limiter, the_most_recently_written_ids_stay_known) {
    new_session_limiter limiter(1000, 1000, 2);
    EXPECT_EQ(limiter.take("a", "x", t0), 0u);
    EXPECT_EQ(limiter.take("a", "y", t0), 0u);
    EXPECT_EQ(limiter.take("a", "x", t0), 0u);  // x is the most recent again
    EXPECT_EQ(limiter.take("a", "z", t0), 0u);  // pushes y out, not x
    new_session_limiter one_token(0.001, 1, 2);
    EXPECT_EQ(one_token.take("a", "x", t0), 0u);
    EXPECT_EQ(one_token.take("a", "x", t0), 0u);
    EXPECT_NE(one_token.take("a", "y", t0), 0u);
}

TEST(new_session_limiter, clients_quiet_past_the_horizon_are_forgotten) {
    new_session_limiter limiter(10, 10, 256, 60s);
    for (int i = 0; i < 100; ++i) limiter.take("client-" + std::to_string(i), "s", t0);
    EXPECT_EQ(limiter.tracked_clients(), 100u);
    // Takes reaching each shard sweep it, leaving the late clients only.
    for (int i = 0; i < 200; ++i) limiter.take("late-" + std::to_string(i), "s", t0 + 61s);
    EXPECT_EQ(limiter.tracked_clients(), 200u);
}

TEST(new_session_limiter, a_rate_of_zero_allows_everything) {
    new_session_limiter limiter(0, 1);
    EXPECT_FALSE(limiter.enabled());
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(limiter.take("a", std::to_string(i)), 0u);
    EXPECT_EQ(limiter.tracked_clients(), 0u);
}

}  // namespace
}  // namespace progressd::http
