// Several progressd processes on one real redis-server, as docs/scaling.md runs them: one
// consistent service, atomic log appends across instances, and a Redis outage under load that
// answers 503, keeps the process alive, loses no acknowledged write and heals by itself.
#include "e2e/e2e_support.hpp"
#include "support/redis_server.hpp"
#include "support/sse_client.hpp"

#include <boost/json/parse.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace progressd::testing {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

class redis_e2e_test : public ::testing::Test {
protected:
    // A progressd on `redis`, with timeouts short enough for an outage to show quickly.
    static std::unique_ptr<server_process> start_progressd(const redis_server& redis) {
        return std::make_unique<server_process>(std::vector<std::string>{
            "--store", redis.url(), "--connect-timeout", "500", "--command-timeout", "500"});
    }
    static int current_step(const cli::http_response& r) {
        return boost::json::parse(r.body).at("currentStep").to_number<int>();
    }
};

TEST_F(redis_e2e_test, a_write_to_one_instance_is_read_from_another_at_once) {
    redis_server redis;
    auto a = start_progressd(redis);
    auto b = start_progressd(redis);
    cli::http_client to_a(a->base_url());
    cli::http_client to_b(b->base_url());

    for (int step = 1; step <= 5; ++step) {
        ASSERT_EQ(to_a.request(verb::post, "/api/progress/s1", progress_body("s1", step)).status,
                  200u);
        const auto r = to_b.request(verb::get, "/api/progress/s1");
        ASSERT_EQ(r.status, 200u);
        EXPECT_EQ(r.body, progress_body("s1", step));
    }
    ASSERT_EQ(to_b.request(verb::post, "/api/progress/s1/log", log_body(1)).status, 200u);
    EXPECT_EQ(to_a.request(verb::get, "/api/progress/s1/log").body,
              R"({"errors":[)" + log_body(1) + "]}");
    // And the original app finds it where it always looked.
    EXPECT_EQ(redis.cli({"GET", "progress:s1"}), progress_body("s1", 5) + "\n");
}

TEST_F(redis_e2e_test, a_watcher_on_one_instance_sees_writes_made_to_another) {
    // Persistent, so that the session's version survives the restart below.
    redis_server redis({"--appendonly", "yes", "--appendfsync", "always"});
    auto a = start_progressd(redis);
    auto b = start_progressd(redis);
    cli::http_client to_a(a->base_url());
    sse_client watcher(b->port(), "/api/progress/x/events");
    ASSERT_EQ(watcher.status(), 200);
    ASSERT_EQ(watcher.next()->name, "waiting");
    std::this_thread::sleep_for(200ms);  // let B's bridge finish subscribing

    ASSERT_EQ(to_a.request(verb::post, "/api/progress/x", progress_body("x", 1)).status, 200u);
    auto e = watcher.next(2s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->name, "progress");
    EXPECT_EQ(e->data, progress_body("x", 1));
    ASSERT_EQ(to_a.request(verb::post, "/api/progress/x/log", log_body(1)).status, 200u);
    e = watcher.next(2s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->name, "log");
    EXPECT_EQ(e->data, log_body(1));
    EXPECT_EQ(e->id, "1-1");

    // The bridge outlives a Redis restart.
    redis.stop();
    redis.start();
    std::this_thread::sleep_for(1500ms);
    ASSERT_EQ(to_a.request(verb::post, "/api/progress/x", progress_body("x", 2)).status, 200u);
    e = watcher.next(2s);
    ASSERT_TRUE(e) << b->log();
    EXPECT_EQ(e->data, progress_body("x", 2));
}

TEST_F(redis_e2e_test, two_hundred_log_appends_over_two_instances_are_counted_once_each) {
    redis_server redis;
    auto a = start_progressd(redis);
    auto b = start_progressd(redis);
    expect_concurrent_appends_counted_once({a->base_url(), b->base_url()}, 20, 10);
}

TEST_F(redis_e2e_test, starts_while_redis_is_down_and_becomes_ready_when_it_returns) {
    redis_server redis;
    redis.stop();
    auto a = start_progressd(redis);
    cli::http_client client(a->base_url());
    EXPECT_EQ(client.request(verb::get, "/healthz").status, 200u);
    EXPECT_EQ(client.request(verb::get, "/readyz").status, 503u);
    const auto refused = client.request(verb::post, "/api/progress/s", progress_body("s", 1));
    EXPECT_EQ(refused.status, 503u);
    EXPECT_EQ(refused.body,
              R"({"error":"Failed to store progress","cause":"cannot connect to the store"})");
    EXPECT_NE(a->log().find("redis at 127.0.0.1:" + std::to_string(redis.port()) +
                            " unreachable: Connection refused; retrying"),
              std::string::npos)
        << a->log();

    redis.start();
    const auto restarted = steady::now();
    while (client.request(verb::get, "/readyz").status != 200) {
        ASSERT_LT(steady::now() - restarted, 5s) << "never ready";
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_LT(steady::now() - restarted, 1100ms);
    EXPECT_EQ(client.request(verb::post, "/api/progress/s", progress_body("s", 1)).status, 200u);
}

TEST_F(redis_e2e_test,
       a_redis_outage_under_load_is_503_then_heals_and_loses_no_acknowledged_write) {
    // Persistent, and fsynced before it answers, so that a kill loses nothing Redis confirmed.
    redis_server redis({"--appendonly", "yes", "--appendfsync", "always"});
    auto a = start_progressd(redis);
    constexpr int writers = 6;
    std::atomic<bool> stop{false};
    std::vector<int> acknowledged(writers, 0);
    std::vector<int> attempted(writers, 0);
    std::mutex failures_mutex;
    std::vector<std::string> failures;  // bodies of the non-200 answers
    std::vector<std::thread> threads;
    threads.reserve(writers);
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            const std::string id = "load-" + std::to_string(w);
            cli::http_client client(a->base_url());
            for (int step = 1; !stop; ++step) {
                attempted[w] = step;
                const auto r =
                    client.request(verb::post, "/api/progress/" + id, progress_body(id, step));
                if (r.status == 200) {
                    acknowledged[w] = step;
                    continue;
                }
                {
                    const std::lock_guard lock(failures_mutex);
                    failures.push_back(std::to_string(r.status) + " " + r.body);
                }
                std::this_thread::sleep_for(5ms);
            }
        });
    }
    std::this_thread::sleep_for(500ms);
    redis.stop();
    std::this_thread::sleep_for(500ms);

    // Down: the process answers, says it is alive but not ready, and fails writes with a cause.
    cli::http_client probe(a->base_url());
    EXPECT_EQ(probe.request(verb::get, "/healthz").status, 200u);
    const auto ready = probe.request(verb::get, "/readyz");
    EXPECT_EQ(ready.status, 503u);
    EXPECT_EQ(boost::json::parse(ready.body).at("error"), "Store not ready");
    stop = true;
    for (auto& t : threads) t.join();
    ASSERT_FALSE(failures.empty());
    for (const auto& f : failures) {
        ASSERT_TRUE(f.starts_with("503 ")) << f;
        const auto body = boost::json::parse(f.substr(4)).as_object();
        EXPECT_EQ(body.at("error"), "Failed to store progress");
        const auto cause = body.at("cause").as_string();
        EXPECT_TRUE(cause == "cannot connect to the store" || cause == "store timeout") << cause;
    }

    redis.start();
    const auto restarted = steady::now();
    while (probe.request(verb::post, "/api/progress/probe", progress_body("probe", 1)).status !=
           200) {
        ASSERT_LT(steady::now() - restarted, 5s) << "writes never resumed";
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_LT(steady::now() - restarted, 1100ms);
    EXPECT_EQ(probe.request(verb::get, "/readyz").status, 200u);

    int total_acknowledged = 0;
    for (int w = 0; w < writers; ++w) {
        const std::string id = "load-" + std::to_string(w);
        total_acknowledged += acknowledged[w];
        if (acknowledged[w] == 0) continue;
        const auto r = probe.request(verb::get, "/api/progress/" + id);
        ASSERT_EQ(r.status, 200u) << id;
        // A write cut off by the outage may have been applied without its answer reaching us.
        EXPECT_GE(current_step(r), acknowledged[w]) << id;
        EXPECT_LE(current_step(r), attempted[w]) << id;
    }
    EXPECT_GT(total_acknowledged, 50) << "the load was too light to prove anything";
    EXPECT_TRUE(a->running());
}

}  // namespace
}  // namespace progressd::testing
