// The process as an operator sees it: configuration errors, graceful restarts, crashes under
// load, and expiry, each against the real binary and a real SQLite file.
#include "e2e/e2e_support.hpp"

#include <boost/json/parse.hpp>

#include <atomic>
#include <thread>

namespace progressd::testing {
namespace {

using namespace std::chrono_literals;

class lifecycle_test : public e2e_test {};

TEST_F(lifecycle_test, data_survives_a_sigterm_restart_and_the_exit_is_clean) {
    start();
    ASSERT_EQ(request(verb::post, "/api/progress/keep", progress_body("keep", 3)).status, 200u);
    ASSERT_EQ(request(verb::post, "/api/progress/keep/log", log_body(3)).status, 200u);
    // An idle keep-alive connection must not hold the shutdown up.
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(server_->terminate(), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    EXPECT_NE(server_->log().find("stopped"), std::string::npos);

    start();
    EXPECT_EQ(request(verb::get, "/api/progress/keep").body, progress_body("keep", 3));
    EXPECT_EQ(request(verb::get, "/api/progress/keep/log").body,
              R"({"errors":[)" + log_body(3) + "]}");
}

TEST_F(lifecycle_test, every_acknowledged_write_survives_kill_9_under_load) {
    start();
    constexpr int writers = 8;
    std::atomic<bool> stop{false};
    std::vector<int> acknowledged(writers, 0);
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            const std::string id = "crash-" + std::to_string(w);
            cli::http_client client(server_->base_url());
            for (int step = 1; !stop; ++step) {
                try {
                    const auto r =
                        client.request(verb::post, "/api/progress/" + id, progress_body(id, step));
                    if (r.status == 200) acknowledged[w] = step;
                } catch (const std::runtime_error&) {
                    return;  // the server is gone
                }
            }
        });
    }
    std::this_thread::sleep_for(700ms);
    server_->kill();
    stop = true;
    for (auto& t : threads) t.join();

    start();
    int total_acknowledged = 0;
    for (int w = 0; w < writers; ++w) {
        const std::string id = "crash-" + std::to_string(w);
        total_acknowledged += acknowledged[w];
        if (acknowledged[w] == 0) continue;
        const auto r = request(verb::get, "/api/progress/" + id);
        ASSERT_EQ(r.status, 200u) << id;
        const int stored = boost::json::parse(r.body).at("currentStep").to_number<int>();
        // A write in flight at the kill may have committed without its answer reaching us.
        EXPECT_GE(stored, acknowledged[w]) << id;
        EXPECT_LE(stored, acknowledged[w] + 1) << id;
    }
    EXPECT_GT(total_acknowledged, 100) << "the load was too light to prove anything";
}

TEST_F(lifecycle_test, progress_and_log_expire_after_the_ttl) {
    start({"--ttl", "1"});
    ASSERT_EQ(request(verb::post, "/api/progress/brief", progress_body("brief", 1)).status, 200u);
    ASSERT_EQ(request(verb::post, "/api/progress/brief/log", log_body(1)).status, 200u);
    EXPECT_EQ(request(verb::get, "/api/progress/brief").status, 200u);
    std::this_thread::sleep_for(1200ms);
    EXPECT_EQ(request(verb::get, "/api/progress/brief").status, 404u);
    EXPECT_EQ(request(verb::get, "/api/progress/brief/log").body, R"({"errors":[]})");
}

TEST_F(lifecycle_test, configuration_errors_exit_non_zero_with_one_line) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--port", "99999"}, "invalid port '99999'"},
        {{"--store", "mongodb://x"}, "unknown store 'mongodb://x'"},
        {{"--store", "sqlite:/proc/no/such/dir/p.db"},
         "the directory /proc/no/such/dir does not exist"},
    };
    for (const auto& [args, expected] : cases) {
        const auto result = run_binary(args);
        EXPECT_NE(result.exit_code, 0) << args[1];
        EXPECT_NE(result.output.find(expected), std::string::npos) << result.output;
    }
}

TEST_F(lifecycle_test, a_port_in_use_is_a_clear_startup_error) {
    start();
    const auto result = run_binary(
        {"--host", "127.0.0.1", "--port", std::to_string(server_->port()), "--store", "memory:"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("cannot listen on 127.0.0.1:" + std::to_string(server_->port())),
              std::string::npos)
        << result.output;
}

}  // namespace
}  // namespace progressd::testing
