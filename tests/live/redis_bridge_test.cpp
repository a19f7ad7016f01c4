// The bridge's message format without Redis, and a removal travelling from a Redis store to the
// watchers of another instance's hub through a real redis-server (the progress and log paths
// across instances are tested in tests/e2e/redis_e2e_test.cpp).
#include "live/redis_bridge.hpp"

#include "store/redis_layout.hpp"
#include "store/redis_store.hpp"
#include "support/redis_server.hpp"
#include "support/run_sync.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <thread>

namespace progressd::live {
namespace {

using namespace std::chrono_literals;

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
    EXPECT_FALSE(pending.deleted);
}

TEST(redis_bridge_test, delivers_a_deletion_to_the_sessions_watchers_only) {
    boost::asio::io_context ioc;
    hub h({10, 10});
    auto w = std::make_shared<watcher>(ioc.get_executor());
    auto other = std::make_shared<watcher>(ioc.get_executor());
    auto [registration, refusal] = h.watch("s:1", "a", w);
    auto [other_registration, other_refusal] = h.watch("s", "a", other);

    EXPECT_TRUE(redis_bridge::deliver(h, "deleted\ns:1\n0\n"));
    EXPECT_TRUE(w->take().deleted);
    EXPECT_TRUE(other->take().empty());
}

TEST(redis_bridge_test, ignores_messages_that_are_not_its_own) {
    hub h({10, 10});
    for (const char* odd : {"", "progress", "progress\ns\n", "progress\ns\nx\n{}",
                            "other\ns\n1\n{}", "log\ns\n-1\n{}", "deleted\ns\n0"}) {
        EXPECT_FALSE(redis_bridge::deliver(h, odd)) << odd;
    }
}

// Waits until `done()` or 5 s have passed; returns done().
template <class Done>
bool eventually(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    return done();
}

TEST(redis_bridge_test, a_removal_on_a_redis_store_reaches_the_watchers_as_deleted) {
    testing::redis_server redis;
    boost::asio::io_context ioc;
    hub h({10, 10});
    auto gone = std::make_shared<watcher>(ioc.get_executor());
    auto never = std::make_shared<watcher>(ioc.get_executor());
    auto [gone_registration, r1] = h.watch("gone", "a", gone);
    auto [never_registration, r2] = h.watch("never", "a", never);
    redis_bridge bridge(h, redis.url(), {});
    // Messages published before the subscription are lost by design: wait for it.
    ASSERT_TRUE(eventually([&] {
        return redis.cli({"PUBSUB", "NUMSUB", std::string(store::redis_layout::events_channel)})
                   .find("\n1") != std::string::npos;
    }));
    const system_clock clock;
    auto writer = store::make_redis_store(redis.url(), {}, clock);

    ASSERT_TRUE(testing::run_sync(ioc, writer->put("gone", "{}", 60s)));
    // A session that never existed is not announced: removing it publishes nothing.
    ASSERT_EQ(testing::run_sync(ioc, writer->remove("never")), result<bool>(false));
    ASSERT_EQ(testing::run_sync(ioc, writer->remove("gone")), result<bool>(true));

    pending_events seen;
    EXPECT_TRUE(eventually([&] {
        auto next = gone->take();
        seen.deleted = seen.deleted || next.deleted;
        if (next.progress) seen.progress = next.progress;
        return seen.deleted;
    }));
    ASSERT_TRUE(seen.progress);  // the put came through first, on the same channel
    EXPECT_EQ(seen.progress->version, 1u);
    EXPECT_FALSE(never->take().deleted);  // published in order, so it would be here by now
    writer->close();
    bridge.stop();
}

}  // namespace
}  // namespace progressd::live
