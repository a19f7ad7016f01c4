// Several progressd processes on one real redis-server, as docs/scaling.md runs them: one
// consistent service, atomic log appends across instances, and a Redis outage under load that
// answers 503, keeps the process alive, loses no acknowledged write and heals by itself.
#include "e2e/e2e_support.hpp"
#include "support/redis_server.hpp"
#include "support/sse_client.hpp"

#include <boost/json/parse.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
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

//------------------------------------------------------------------------------
// Text that another program wrote (issue 11, item 8)

// A pretty-printed progress, as a person or a script using JSON.stringify(v, null, 2) writes it.
std::string pretty_progress(const std::string& id) {
    return "{\n  \"sessionId\": \"" + id +
           "\",\r\n  \"currentStep\": 2,\n  \"completedSteps\": [],\n"
           "  \"currentAction\": \"Installing Git\",\n"
           "  \"toolStatus\": {\"git\": {\"status\": \"installing\", \"version\": null}},\n"
           "  \"errors\": [],\n  \"timestamp\": \"2026-11-26T12:00:00.000Z\",\n"
           "  \"phase\": \"phase1\",\n  \"complete\": false\n}\n";
}

void expect_one_line_json(const std::optional<sse_event>& e, const std::string& name,
                          const std::string& data) {
    ASSERT_TRUE(e);
    EXPECT_EQ(e->name, name);
    EXPECT_EQ(e->data, data);
    boost::system::error_code ec;
    (void)boost::json::parse(e->data, ec);
    EXPECT_FALSE(ec) << e->data;
}

TEST_F(redis_e2e_test, line_breaks_in_text_another_program_wrote_never_break_an_event) {
    redis_server redis;
    auto a = start_progressd(redis);
    EXPECT_EQ(redis.cli({"SET", "progress:set", pretty_progress("set"), "EX", "3600"}), "OK\n");
    {
        // Read by GET when the stream starts.
        sse_client watcher(a->port(), "/api/progress/set/events");
        ASSERT_EQ(watcher.status(), 200);
        expect_one_line_json(watcher.next(), "progress", progress_body("set", 2));
    }
    sse_client watcher(a->port(), "/api/progress/pub/events");
    ASSERT_EQ(watcher.status(), 200);
    ASSERT_EQ(watcher.next()->name, "waiting");
    std::this_thread::sleep_for(200ms);  // let the bridge finish subscribing
    // Forwarded from a PUBLISH by the bridge.
    EXPECT_EQ(
        redis.cli({"PUBLISH", "progressd:events", "progress\npub\n7\n" + pretty_progress("pub")}),
        "1\n");
    auto e = watcher.next(2s);
    expect_one_line_json(e, "progress", progress_body("pub", 2));
    EXPECT_EQ(e->id, "7-0");
    EXPECT_EQ(redis.cli({"PUBLISH", "progressd:events",
                         "log\npub\n1\n{\n  \"tool\": \"git\",\n  \"error\": \"exit code 1\",\n"
                         "  \"suggestedFix\": \"Run as administrator\",\n"
                         "  \"timestamp\": \"2026-11-26T12:00:00.000Z\",\n  \"step\": 1\n}"}),
              "1\n");
    e = watcher.next(2s);
    expect_one_line_json(e, "log", log_body(1));
    EXPECT_EQ(e->id, "7-1");
}

//------------------------------------------------------------------------------
// The least-privilege ACL of docs/scaling.md (issue 11, item 8)

// The documented `ACL SETUSER …` line, read from docs/scaling.md so that the doc cannot drift
// from what is tested, with its PASSWORD placeholder replaced by `password`.
std::vector<std::string> documented_acl(const std::string& password) {
    std::ifstream doc(std::string(PROGRESSD_SOURCE_DIR) + "/docs/scaling.md");
    for (std::string line; std::getline(doc, line);) {
        std::istringstream words(line);
        std::vector<std::string> acl;
        for (std::string word; words >> word;)
            acl.push_back(word == ">PASSWORD" ? ">" + password : word);
        if (acl.size() > 2 && acl[0] == "ACL" && acl[1] == "SETUSER") return acl;
    }
    return {};
}

TEST_F(redis_e2e_test, the_documented_acl_is_enough_for_every_endpoint) {
    const std::string admin_token = "admin-token-0123456789";
    const auto acl = documented_acl("acl-password-0123");
    ASSERT_GT(acl.size(), 3u) << "no ACL SETUSER line in docs/scaling.md";
    redis_server redis;
    ASSERT_EQ(redis.cli(acl), "OK\n");
    const std::string url =
        "redis://" + acl[2] + ":acl-password-0123@127.0.0.1:" + std::to_string(redis.port());
    const std::vector<std::string> args = {"--store", url, "--admin-token", admin_token};
    server_process a(args);
    server_process b(args);
    cli::http_client to_a(a.base_url());
    cli::http_client to_b(b.base_url());
    const cli::header_list admin = {{"Authorization", "Bearer " + admin_token}};

    sse_client watcher(b.port(), "/api/progress/acl/events");
    ASSERT_EQ(watcher.status(), 200);
    ASSERT_EQ(watcher.next()->name, "waiting");
    std::this_thread::sleep_for(200ms);  // let B's bridge finish subscribing

    auto r = to_a.request(verb::post, "/api/progress/acl", progress_body("acl", 1));
    EXPECT_EQ(r.status, 200u) << r.body;
    auto e = watcher.next(2s);
    ASSERT_TRUE(e) << b.log();
    EXPECT_EQ(e->name, "progress");
    r = to_a.request(verb::patch, "/api/progress/acl", R"({"currentStep":2})");
    EXPECT_EQ(r.status, 200u) << r.body;
    e = watcher.next(2s);
    ASSERT_TRUE(e) << b.log();
    EXPECT_EQ(e->name, "progress");
    r = to_a.request(verb::post, "/api/progress/acl/log", log_body(1));
    EXPECT_EQ(r.status, 200u) << r.body;
    e = watcher.next(2s);
    ASSERT_TRUE(e) << b.log();
    EXPECT_EQ(e->name, "log");
    r = to_b.request(verb::get, "/api/progress/acl");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(boost::json::parse(r.body).at("currentStep"), 2);
    r = to_b.request(verb::get, "/api/progress/acl/log");
    EXPECT_EQ(r.body, R"({"errors":[)" + log_body(1) + "]}");
    EXPECT_EQ(to_a.request(verb::get, "/readyz").status, 200u);

    r = to_a.request(verb::get, "/api/admin/sessions", {}, admin);
    EXPECT_EQ(r.status, 200u) << r.body;
    if (r.status == 200) {
        const auto page = boost::json::parse(r.body);
        const auto& sessions = page.at("sessions").as_array();
        ASSERT_EQ(sessions.size(), 1u) << r.body;
        EXPECT_EQ(sessions[0].at("sessionId"), "acl");
    }
    r = to_a.request(verb::delete_, "/api/progress/acl", {}, admin);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(to_b.request(verb::get, "/api/progress/acl").status, 404u);
    // B's watcher saw every write made on A, the DELETE included, through SUBSCRIBE.
    e = watcher.next(2s);
    ASSERT_TRUE(e) << b.log();
    EXPECT_EQ(e->name, "expired");
    EXPECT_EQ(a.log().find("NOPERM"), std::string::npos) << a.log();
    EXPECT_EQ(b.log().find("NOPERM"), std::string::npos) << b.log();
}

}  // namespace
}  // namespace progressd::testing
