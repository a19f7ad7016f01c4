// The bridge's message format, without Redis (the cross-instance path itself is tested with a
// real redis-server in tests/e2e/redis_e2e_test.cpp).
#include "live/redis_bridge.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

namespace progressd::live {
namespace {

TEST(redis_bridge_test, delivers_progress_and_log_messages_to_the_sessions_watchers) {
    boost::asio::io_context ioc;
    hub h({10, 10});
    auto w = std::make_shared<watcher>(ioc.get_executor());
    auto [registration, refusal] = h.watch("s 1", "a", w);

    EXPECT_TRUE(redis_bridge::deliver(h, "progress\ns 1\n7\n{\"sessionId\":\"s 1\"}"));
    EXPECT_TRUE(redis_bridge::deliver(h, "log\ns 1\n3\n{\"tool\":\"git\"}"));
    EXPECT_TRUE(redis_bridge::deliver(h, "progress\nother\n1\n{}"));
    const auto pending = w->take();
    ASSERT_TRUE(pending.progress);
    EXPECT_EQ(pending.progress->version, 7u);
    EXPECT_EQ(*pending.progress->json, R"({"sessionId":"s 1"})");
    ASSERT_EQ(pending.log.size(), 1u);
    EXPECT_EQ(pending.log[0].count, 3u);
    EXPECT_EQ(*pending.log[0].entry_json, R"({"tool":"git"})");
}

TEST(redis_bridge_test, ignores_messages_that_are_not_its_own) {
    hub h({10, 10});
    for (const char* odd : {"", "progress", "progress\ns\n", "progress\ns\nx\n{}",
                            "other\ns\n1\n{}", "log\ns\n-1\n{}"}) {
        EXPECT_FALSE(redis_bridge::deliver(h, odd)) << odd;
    }
}

}  // namespace
}  // namespace progressd::live
