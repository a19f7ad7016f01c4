// What /readyz asks the store (src/api/readiness_probe.cpp), against the REST store in front of
// a real redis-server: one ping a second however many probes, and an answer within the deadline
// however long the store's queue is.
#include "api/readiness_probe.hpp"

#include "store/kv_rest_store.hpp"
#include "support/redis_server.hpp"
#include "support/upstash_endpoint.hpp"
#include "util/clock.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <thread>

namespace progressd::api {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
using steady = std::chrono::steady_clock;

class readiness_probe_test : public ::testing::Test {
protected:
    std::unique_ptr<store::store> open(store::open_options options = {}) {
        return store::make_kv_rest_store(
            {store::store_spec::kind::kv_rest, endpoint_.url(), "t", ""}, options, clock_);
    }
    // The PINGs Redis has served so far.
    long pings() {
        const std::string stats = redis_.cli({"INFO", "commandstats"});
        const auto at = stats.find("cmdstat_ping:calls=");
        return at == std::string::npos ? 0 : std::stol(stats.substr(at + 19));
    }
    // Runs `n` checks at once; how many said ready.
    int check_concurrently(readiness_probe& probe, int n) {
        std::atomic<int> ready{0};
        for (int i = 0; i < n; ++i) {
            net::co_spawn(
                ioc_,
                [&]() -> net::awaitable<void> {
                    const auto r = co_await probe.check();
                    if (r) ++ready;
                },
                net::detached);
        }
        ioc_.restart();
        ioc_.run();
        return ready;
    }

    testing::redis_server redis_;
    testing::upstash_endpoint endpoint_{redis_, "t"};
    manual_clock clock_;
    net::io_context ioc_;
};

TEST_F(readiness_probe_test, probes_within_a_second_share_one_ping) {
    auto s = open();
    readiness_probe probe(*s);
    const long before = pings();
    EXPECT_EQ(check_concurrently(probe, 20), 20);
    EXPECT_EQ(check_concurrently(probe, 20), 20);  // answered from the last ping
    EXPECT_EQ(pings() - before, 1);
    std::this_thread::sleep_for(1100ms);
    EXPECT_EQ(check_concurrently(probe, 5), 5);
    EXPECT_EQ(pings() - before, 2);
}

TEST_F(readiness_probe_test, a_hung_store_is_not_ready_within_the_deadline_whatever_it_has_queued) {
    store::open_options options;
    options.command_timeout = 2s;
    auto s = open(options);
    readiness_probe probe(*s, 1s, 300ms);
    endpoint_.pause();
    std::atomic<int> writes_answered{0};
    for (int i = 0; i < 500; ++i) {
        net::co_spawn(
            ioc_,
            [&]() -> net::awaitable<void> {
                (void)co_await s->put("s", "{}", 60s);
                ++writes_answered;
            },
            net::detached);
    }
    std::optional<steady::duration> answered_after;
    const auto asked = steady::now();
    net::co_spawn(
        ioc_,
        [&]() -> net::awaitable<void> {
            const auto r = co_await probe.check();
            EXPECT_EQ(r.error(), store_errc::timeout);
            answered_after = steady::now() - asked;
        },
        net::detached);
    ioc_.run_for(8s);
    endpoint_.resume();
    ASSERT_TRUE(answered_after.has_value());
    EXPECT_LT(*answered_after, 800ms);
    EXPECT_EQ(writes_answered.load(), 500);  // each within a command timeout or two
    EXPECT_LT(steady::now() - asked, 6s);
}

}  // namespace
}  // namespace progressd::api
