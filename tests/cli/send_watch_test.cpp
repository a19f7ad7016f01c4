// progressctl send and watch against the real binary: what a shell script and a person at a
// terminal see.
#include "cli/send.hpp"
#include "cli/watch.hpp"

#include "cli/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <filesystem>
#include <fstream>
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
    boost::json::array log_of(const std::string& id) {
        http_client client(server_->base_url());
        const auto r = client.request(verb::get, "/api/progress/" + id + "/log");
        return boost::json::parse(r.body).at("errors").as_array();
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
    EXPECT_EQ(last_out_, "step 2/5: Installing Git (2 tools, no errors)\n");

    send_options failed;
    failed.tools = {"git=error"};
    failed.errors = {"git:exit code 1: see the log:Run the installer as administrator"};
    ASSERT_EQ(send("s", failed), 0) << last_err_;
    EXPECT_EQ(last_out_,
              "step 2/5: Installing Git (2 tools, no errors); logged 1 error (1 entry in the error "
              "log)\n");
    send_options done;
    done.complete = true;
    done.errors = {"node:npm was slow:Nothing to do"};
    ASSERT_EQ(send("s", done), 0) << last_err_;

    const auto p = stored("s").as_object();
    EXPECT_EQ(p.at("currentAction"), "Installing Git");  // untouched by later updates
    EXPECT_EQ(p.at("toolStatus").at("git").at("status"), "error");
    EXPECT_EQ(p.at("toolStatus").at("node").at("version"), "20.11.1");
    EXPECT_EQ(p.at("complete"), true);
    const auto log = log_of("s");
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log.at(0).at("error"), "exit code 1: see the log");
    EXPECT_EQ(log.at(0).at("suggestedFix"), "Run the installer as administrator");
    EXPECT_EQ(log.at(0).at("step"), 2);
    EXPECT_EQ(log.at(1).at("tool"), "node");
}

TEST_F(send_watch_test, send_with_nothing_to_send_says_what_to_pass) {
    start();
    EXPECT_EQ(send("s", {}), 2);
    EXPECT_EQ(last_out_, "");
    EXPECT_EQ(last_err_,
              "progressctl: nothing to send: give at least one of --step, --total, --action, "
              "--tool, --error or --complete\n");
    EXPECT_EQ(http_client(server_->base_url()).request(verb::get, "/api/progress/s").status,
              404u);  // nothing was created either
}

TEST_F(send_watch_test, send_summaries_count_in_words) {
    start();
    http_client client(server_->base_url());
    const auto posted = client.request(
        verb::post, "/api/progress/g",
        R"({"sessionId":"g","currentStep":1,"completedSteps":[],"currentAction":"Setup",)"
        R"("toolStatus":{"git":{"status":"error"}},"errors":[{"tool":"git","error":"boom",)"
        R"("suggestedFix":"retry"}],"timestamp":"2026-01-01T00:00:00.000Z","phase":"phase1",)"
        R"("complete":false})",
        {{"Content-Type", "application/json"}});
    ASSERT_EQ(posted.status, 200u) << posted.body;
    send_options step;
    step.step = 2;
    ASSERT_EQ(send("g", step), 0) << last_err_;
    EXPECT_EQ(last_out_, "step 2: Setup (1 tool, 1 error)\n");
    send_options only_error;
    only_error.errors = {"git:boom again:retry"};
    ASSERT_EQ(send("g", only_error), 0) << last_err_;
    EXPECT_EQ(last_out_, "logged 1 error (1 entry in the error log)\n");
    EXPECT_EQ(log_of("g").at(0).at("step"), 2);  // the session's current step
}

// Each sender appends its errors while the others do: none may be lost anywhere send writes.
TEST_F(send_watch_test, concurrent_senders_lose_no_error) {
    start();
    constexpr int senders = 8;
    constexpr int errors_each = 5;
    std::vector<std::future<int>> runs;
    for (int s = 0; s < senders; ++s) {
        runs.push_back(std::async(std::launch::async, [this, s] {
            int failures = 0;
            for (int e = 0; e < errors_each; ++e) {
                send_options o;
                o.errors = {"tool" + std::to_string(s) + ":error " + std::to_string(e) + ":fix"};
                std::ostringstream out, err;
                failures += run_send(server_->base_url(), "race", o, out, err);
            }
            return failures;
        }));
    }
    for (auto& run : runs) EXPECT_EQ(run.get(), 0);
    const std::size_t all = senders * errors_each;
    EXPECT_EQ(log_of("race").size(), all);
    const auto p = http_client(server_->base_url()).request(verb::get, "/api/progress/race");
    if (p.status == 200) {  // whatever send writes into the progress must hold every error too
        const auto errors = boost::json::parse(p.body).at("errors").as_array().size();
        EXPECT_TRUE(errors == 0 || errors == all) << errors << " of " << all;
    }
}

TEST_F(send_watch_test, send_and_watch_present_the_token_and_never_print_it) {
    const std::string write_token = "write-token-0123456789";
    const std::string read_token = "read-token-0123456789";
    start({"--write-token", write_token, "--read-token", read_token});
    send_options o;
    o.step = 1;
    o.errors = {"git:boom:retry"};
    EXPECT_EQ(send("t", o), 1);
    EXPECT_NE(last_err_.find("401"), std::string::npos) << last_err_;
    o.token = "wrong-token-0123456789";
    EXPECT_EQ(send("t", o), 1);
    EXPECT_NE(last_err_.find("403"), std::string::npos) << last_err_;
    EXPECT_EQ(last_err_.find(o.token), std::string::npos) << last_err_;
    o.token = write_token;
    ASSERT_EQ(send("t", o), 0) << last_err_;
    EXPECT_EQ((last_out_ + last_err_).find(write_token), std::string::npos);

    std::ostringstream denied;
    EXPECT_EQ(run_watch(server_->base_url(), "t", {false, 200ms, "wrong-token-0123456789"}, denied),
              1);
    EXPECT_EQ(denied.str().find("wrong-token"), std::string::npos) << denied.str();
    send_options done;
    done.complete = true;
    done.token = write_token;
    ASSERT_EQ(send("t", done), 0) << last_err_;
    std::ostringstream out;
    EXPECT_EQ(run_watch(server_->base_url(), "t", {false, 200ms, read_token}, out), 2) << out.str();
    EXPECT_EQ(out.str().find(read_token), std::string::npos) << out.str();
}

TEST_F(send_watch_test, send_keeps_the_write_key_in_a_private_key_file) {
    start({"--session-keys"});
    const testing::temp_dir dir;
    const std::string key_file = dir.path() + "/key";
    send_options o;
    o.step = 1;
    o.key_file = key_file;
    ASSERT_EQ(send("k", o), 0) << last_err_;
    ASSERT_TRUE(std::filesystem::exists(key_file));
    EXPECT_EQ(std::filesystem::status(key_file).permissions(),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::string key;
    std::ifstream(key_file) >> key;
    EXPECT_EQ(key.size(), 43u);  // 256 bits, base64url
    EXPECT_EQ((last_out_ + last_err_).find(key), std::string::npos);

    o.step = 2;
    o.errors = {"git:boom:retry"};
    ASSERT_EQ(send("k", o), 0) << last_err_;  // the key file is read and the key presented
    send_options keyless;
    keyless.step = 3;
    EXPECT_EQ(send("k", keyless), 1);
    EXPECT_NE(last_err_.find("401"), std::string::npos) << last_err_;
    keyless.write_key = key;
    EXPECT_EQ(send("k", keyless), 0) << last_err_;
    EXPECT_EQ(stored("k").at("currentStep"), 3);
    EXPECT_EQ(log_of("k").size(), 1u);

    send_options unkept;  // a key nobody keeps locks the session: say so, without the key
    unkept.step = 1;
    ASSERT_EQ(send("other", unkept), 0);
    EXPECT_NE(last_err_.find("--key-file"), std::string::npos) << last_err_;
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

watch_run start_watch(const std::string& base_url, const std::string& id, bool tty = false) {
    watch_run run;
    auto out = run.out;
    run.code = std::async(std::launch::async, [base_url, id, out, tty] {
        return run_watch(base_url, id, watch_options{tty, 200ms, {}}, *out);
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
    EXPECT_TRUE(out.ends_with("\n✓ the run completed\n")) << out;
}

// A terminal escape in server-controlled text would let whoever writes a session clear the
// reader's screen, retitle the window or worse.
TEST_F(send_watch_test, watch_never_prints_a_control_character_from_the_server) {
    start();
    send_options evil;
    evil.action =
        "Installing\x1b[2J\xC2\x9B"
        "31m";
    evil.tools = {"evil\x1b]0;pwned\x07=success:1.0\x1b[5m", "git=installing"};
    evil.errors = {"git\x1b[1A:boom\r\x1b[K:retry"};
    ASSERT_EQ(send("c", evil), 0) << last_err_;
    EXPECT_EQ(last_out_.find('\x1b'), std::string::npos) << last_out_;  // send's summary too
    send_options done;
    done.complete = true;
    ASSERT_EQ(send("c", done), 0);
    for (const bool tty : {false, true}) {
        auto run = start_watch(server_->base_url(), "c", tty);
        ASSERT_EQ(run.code.wait_for(5s), std::future_status::ready);
        EXPECT_EQ(run.code.get(), 2);
        const std::string out = run.out->str();
        for (const char* injected : {"\x1b]0;pwned", "\x07", "\x1b[2J\xC2", "\xC2\x9B", "\x1b[5m",
                                     "\x1b[1A", "\r", "\x1b[K"}) {
            EXPECT_EQ(out.find(injected), std::string::npos) << tty << ": " << out;
        }
        EXPECT_NE(out.find("evil\xEF\xBF\xBD]0;pwned"), std::string::npos) << out;
        if (!tty) {
            EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
        }
    }
}

// The last frame on a terminal: the bar full, the verdict, and the last error still there.
TEST_F(send_watch_test, watch_on_a_terminal_ends_with_the_verdict_and_the_last_error) {
    start();
    auto run = start_watch(server_->base_url(), "f", true);
    send_options step;
    step.step = 2;
    step.total = 4;
    step.tools = {"git=installing"};
    ASSERT_EQ(send("f", step), 0);
    send_options failed;
    failed.errors = {"git:winget exited with 1:Run as administrator"};
    ASSERT_EQ(send("f", failed), 0);
    send_options later;  // a redraw after the error must keep it on the screen
    later.action = "Installing Node";
    ASSERT_EQ(send("f", later), 0);
    send_options done;
    done.complete = true;
    ASSERT_EQ(send("f", done), 0);
    ASSERT_EQ(run.code.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(run.code.get(), 2);
    const std::string out = run.out->str();
    const std::string last_frame = out.substr(out.rfind("\x1b[2J"));
    EXPECT_NE(last_frame.find("[##############################] 100%  finished"), std::string::npos)
        << last_frame;
    EXPECT_NE(last_frame.find("error log: git: winget exited with 1"), std::string::npos)
        << last_frame;
    EXPECT_NE(last_frame.find("✗ the run completed with errors (0 in the progress, 1 in the "
                              "error log)"),
              std::string::npos)
        << last_frame;
    const std::string after_error = out.substr(out.find("Installing Node"));
    EXPECT_NE(after_error.find("error log: git: winget"), std::string::npos) << out;
}

// The bar counts as the live page does (web/dashboard.js stepInfo): distinct completed steps
// out of totalSteps, or of the largest step seen when there is no total.
TEST_F(send_watch_test, watch_counts_steps_as_the_page_does) {
    start();
    http_client client(server_->base_url());
    const auto post = [&](const std::string& fields) {
        const auto r =
            client.request(verb::post, "/api/progress/b",
                           R"({"sessionId":"b","currentAction":"x","toolStatus":{},"errors":[],)"
                           R"("timestamp":"2026-01-01T00:00:00.000Z","phase":"phase1",)" +
                               fields + "}",
                           {{"Content-Type", "application/json"}});
        ASSERT_EQ(r.status, 200u) << r.body;
    };
    const auto last_bar = [&]() {
        std::ostringstream out;
        run_watch(server_->base_url(), "b", {true, 200ms, {}}, out);
        const std::string s = out.str();
        const auto at = s.rfind("\x1b[2J");
        return s.substr(at + 4, s.find('\n', at) - at - 4);
    };
    post(R"("currentStep":3,"totalSteps":4,"completedSteps":[1,1,2],"complete":true)");
    EXPECT_EQ(last_bar(), "[##############################] 100%  finished");
    post(R"("currentStep":5,"totalSteps":5,"completedSteps":[],"complete":true)");
    EXPECT_EQ(last_bar(), "[##############################] 100%  finished");
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
