// progressctl send and watch against the real binary: what a shell script and a person at a
// terminal see.
#include "cli/send.hpp"
#include "cli/watch.hpp"

#include "cli/http_client.hpp"
#include "support/server_process.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <future>
#include <sstream>
#include <thread>

namespace progressd::cli {
namespace {

using namespace std::chrono_literals;
using boost::beast::http::verb;

class send_watch_test : public ::testing::Test {
protected:
    void start(std::vector<std::string> args = {}) {
        args.insert(args.end(), {"--store", "memory:"});
        server_ = std::make_unique<testing::server_process>(args);
    }
    int send(const std::string& id, const send_options& options) {
        std::ostringstream out, err;
        const int code = run_send(server_->base_url(), id, options, out, err);
        last_out_ = out.str();
        last_err_ = err.str();
        return code;
    }
    boost::json::value stored(const std::string& id) {
        http_client client(server_->base_url());
        return boost::json::parse(client.request(verb::get, "/api/progress/" + id).body);
    }

    std::unique_ptr<testing::server_process> server_;
    std::string last_out_, last_err_;
};

TEST_F(send_watch_test, send_reports_one_update_without_any_json_from_the_script) {
    start();
    send_options first;
    first.step = 2;
    first.total = 5;
    first.action = "Installing Git";
    first.tools = {"git=installing", "node=success:20.11.1"};
    ASSERT_EQ(send("s", first), 0) << last_err_;
    EXPECT_EQ(last_out_, "step 2/5: Installing Git (2 tools, 0 errors)\n");

    send_options failed;
    failed.tools = {"git=error"};
    failed.errors = {"git:exit code 1: see the log:Run the installer as administrator"};
    ASSERT_EQ(send("s", failed), 0) << last_err_;
    send_options done;
    done.complete = true;
    done.errors = {"node:npm was slow:Nothing to do"};
    ASSERT_EQ(send("s", done), 0) << last_err_;

    const auto p = stored("s").as_object();
    EXPECT_EQ(p.at("currentAction"), "Installing Git");  // untouched by later updates
    EXPECT_EQ(p.at("toolStatus").at("git").at("status"), "error");
    EXPECT_EQ(p.at("toolStatus").at("node").at("version"), "20.11.1");
    ASSERT_EQ(p.at("errors").as_array().size(), 2u);  // appended, not replaced
    EXPECT_EQ(p.at("errors").at(0).at("error"), "exit code 1: see the log");
    EXPECT_EQ(p.at("errors").at(0).at("suggestedFix"), "Run the installer as administrator");
    EXPECT_EQ(p.at("complete"), true);
    http_client client(server_->base_url());
    const auto log = boost::json::parse(client.request(verb::get, "/api/progress/s/log").body);
    EXPECT_EQ(log.at("errors").as_array().size(), 2u);
}

TEST_F(send_watch_test, send_refuses_what_it_cannot_understand_and_relays_server_errors) {
    start();
    send_options bad;
    bad.tools = {"git"};
    EXPECT_EQ(send("s", bad), 2);
    EXPECT_NE(last_err_.find("--tool wants NAME=STATUS[:VERSION]"), std::string::npos);
    send_options invalid;
    invalid.tools = {"git=done"};  // not a status the schema knows
    EXPECT_EQ(send("s", invalid), 1);
    EXPECT_NE(last_err_.find("400"), std::string::npos);
}

// Runs watch on a thread while the test plays the script; returns its exit code and output.
struct watch_run {
    std::future<int> code;
    std::shared_ptr<std::ostringstream> out = std::make_shared<std::ostringstream>();
};

watch_run start_watch(const std::string& base_url, const std::string& id) {
    watch_run run;
    auto out = run.out;
    run.code = std::async(std::launch::async, [base_url, id, out] {
        return run_watch(base_url, id, watch_options{false, 200ms}, *out);
    });
    std::this_thread::sleep_for(300ms);
    return run;
}

TEST_F(send_watch_test, watch_prints_each_change_and_exits_0_on_a_clean_finish) {
    start();
    auto run = start_watch(server_->base_url(), "w");
    send_options step;
    step.step = 1;
    step.action = "Installing Git";
    step.tools = {"git=installing"};
    ASSERT_EQ(send("w", step), 0);
    send_options done;
    done.tools = {"git=success:2.43.0"};
    done.complete = true;
    ASSERT_EQ(send("w", done), 0);
    ASSERT_EQ(run.code.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(run.code.get(), 0);
    const std::string out = run.out->str();
    EXPECT_NE(out.find("waiting for session w"), std::string::npos) << out;
    EXPECT_NE(out.find("step 1 Installing Git | git: installing"), std::string::npos) << out;
    EXPECT_NE(out.find("git: success 2.43.0 | complete"), std::string::npos) << out;
}

TEST_F(send_watch_test, watch_exits_2_when_the_run_finished_with_errors) {
    start();
    auto run = start_watch(server_->base_url(), "e");
    send_options done;
    done.tools = {"git=error"};
    done.complete = true;
    ASSERT_EQ(send("e", done), 0);
    ASSERT_EQ(run.code.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(run.code.get(), 2);
}

TEST_F(send_watch_test, watch_exits_1_on_expiry_and_when_nothing_answers) {
    start({"--ttl", "1"});
    send_options step;
    step.step = 1;
    ASSERT_EQ(send("x", step), 0);
    auto run = start_watch(server_->base_url(), "x");
    ASSERT_EQ(run.code.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(run.code.get(), 1);
    EXPECT_NE(run.out->str().find("session x expired"), std::string::npos) << run.out->str();

    const auto port = server_->port();
    server_->terminate();
    std::ostringstream out;
    EXPECT_EQ(run_watch("http://127.0.0.1:" + std::to_string(port), "x", {}, out), 1);
    EXPECT_NE(out.str().find("cannot follow the session"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace progressd::cli
