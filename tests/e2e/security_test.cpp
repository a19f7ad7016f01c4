// Access control, abuse limits and the admin API of the real binary, over real sockets.
#include "e2e/e2e_support.hpp"
#include "support/sse_client.hpp"

#include <boost/json/parse.hpp>

#include <set>

namespace progressd::testing {
namespace {

namespace json = boost::json;

const std::string read_token = "read-token-0123456789";
const std::string write_token = "write-token-0123456789";
const std::string next_write_token = "next-write-token-0123456789";
const std::string admin_token = "admin-token-0123456789";

cli::header_list bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string detail_message(const cli::http_response& r) {
    return std::string(json::parse(r.body).at("details").at(0).at("message").as_string());
}

class security_test : public e2e_test {};

//------------------------------------------------------------------------------
// Tokens

TEST_F(security_test, without_tokens_the_api_stays_open_as_the_original_was) {
    start();
    EXPECT_EQ(request(verb::post, "/api/progress/open", progress_body("open", 1)).status, 200u);
    EXPECT_EQ(request(verb::get, "/api/progress/open").status, 200u);
    // The admin API, though, never is.
    const auto admin = request(verb::get, "/api/admin/stats");
    EXPECT_EQ(admin.status, 403u);
    EXPECT_NE(admin.body.find("--admin-token"), std::string::npos);
}

TEST_F(security_test, a_write_token_guards_every_write_and_says_what_is_missing) {
    start({"--write-token", write_token + "," + next_write_token});
    const auto missing = request(verb::post, "/api/progress/w", progress_body("w", 1));
    EXPECT_EQ(missing.status, 401u);
    EXPECT_EQ(json::parse(missing.body).at("error"), "Unauthorized");
    EXPECT_NE(detail_message(missing).find("write token"), std::string::npos);
    EXPECT_EQ(missing.header("WWW-Authenticate"), R"(Bearer realm="progressd")");

    const auto wrong = request(verb::post, "/api/progress/w", progress_body("w", 1),
                               bearer("wrong-token-0123456789"));
    EXPECT_EQ(wrong.status, 403u);
    EXPECT_EQ(json::parse(wrong.body).at("error"), "Forbidden");
    EXPECT_EQ(request(verb::patch, "/api/progress/w", R"({"currentStep":2})").status, 401u);
    EXPECT_EQ(request(verb::post, "/api/progress/w/log", log_body(1)).status, 401u);
    EXPECT_EQ(request(verb::delete_, "/api/progress/w").status, 401u);
    // Nothing of the refused writes was stored.
    EXPECT_EQ(request(verb::get, "/api/progress/w").status, 404u);

    // Both configured tokens work, so scripts can move from one to the other.
    EXPECT_EQ(
        request(verb::post, "/api/progress/w", progress_body("w", 1), bearer(write_token)).status,
        200u);
    EXPECT_EQ(
        request(verb::patch, "/api/progress/w", R"({"currentStep":2})", bearer(next_write_token))
            .status,
        200u);
    // Reads stay open when only writes are guarded.
    const auto read = request(verb::get, "/api/progress/w");
    EXPECT_EQ(read.status, 200u);
    EXPECT_EQ(json::parse(read.body).at("currentStep"), 2);
}

TEST_F(security_test, refusals_never_tell_whether_a_session_exists) {
    start({"--read-token", read_token, "--write-token", write_token});
    ASSERT_EQ(
        request(verb::post, "/api/progress/exists", progress_body("exists", 1), bearer(write_token))
            .status,
        200u);
    const auto existing = request(verb::get, "/api/progress/exists");
    const auto absent = request(verb::get, "/api/progress/absent");
    EXPECT_EQ(existing.status, 401u);
    EXPECT_EQ(existing.status, absent.status);
    EXPECT_EQ(existing.body, absent.body);
    const auto wrong_existing =
        request(verb::get, "/api/progress/exists", {}, bearer("wrong-token-0123456789"));
    const auto wrong_absent =
        request(verb::get, "/api/progress/absent", {}, bearer("wrong-token-0123456789"));
    EXPECT_EQ(wrong_existing.status, 403u);
    EXPECT_EQ(wrong_existing.body, wrong_absent.body);
}

TEST_F(security_test, a_read_token_guards_reads_and_also_works_as_a_query_parameter) {
    start({"--read-token", read_token, "--write-token", write_token});
    ASSERT_EQ(
        request(verb::post, "/api/progress/r", progress_body("r", 1), bearer(write_token)).status,
        200u);
    EXPECT_EQ(request(verb::get, "/api/progress/r").status, 401u);
    EXPECT_EQ(request(verb::get, "/api/progress/r/log").status, 401u);
    EXPECT_EQ(request(verb::get, "/api/progress/r", {}, bearer(read_token)).status, 200u);
    EXPECT_EQ(request(verb::get, "/api/progress/r?token=" + read_token).status, 200u);
    EXPECT_EQ(request(verb::get, "/api/progress/r/log?token=" + read_token).status, 200u);
    EXPECT_EQ(request(verb::get, "/api/progress/r?token=wrong-token-0123456789").status, 403u);
    // A write token reads too; a read token does not write, not even through the query.
    EXPECT_EQ(request(verb::get, "/api/progress/r", {}, bearer(write_token)).status, 200u);
    EXPECT_EQ(
        request(verb::post, "/api/progress/r?token=" + write_token, progress_body("r", 2)).status,
        401u);
    EXPECT_EQ(
        request(verb::post, "/api/progress/r", progress_body("r", 2), bearer(read_token)).status,
        403u);
    // The pages hold no data and stay open; their API calls carry the token.
    EXPECT_EQ(request(verb::get, "/live/r").status, 200u);
    EXPECT_EQ(request(verb::get, "/healthz").status, 200u);
}

TEST_F(security_test, an_event_stream_takes_the_read_token_from_the_query) {
    start({"--read-token", read_token});
    sse_client refused(server_->port(), "/api/progress/s/events");
    EXPECT_EQ(refused.status(), 401);
    sse_client wrong(server_->port(), "/api/progress/s/events?token=wrong-token-0123456789");
    EXPECT_EQ(wrong.status(), 403);

    sse_client stream(server_->port(), "/api/progress/s/events?token=" + read_token);
    ASSERT_EQ(stream.status(), 200);
    auto waiting = stream.next();
    ASSERT_TRUE(waiting);
    EXPECT_EQ(waiting->name, "waiting");
    ASSERT_EQ(request(verb::post, "/api/progress/s", progress_body("s", 4)).status, 200u);
    auto event = stream.next();
    ASSERT_TRUE(event);
    EXPECT_EQ(event->name, "progress");
    EXPECT_EQ(json::parse(event->data).at("currentStep"), 4);
}

//------------------------------------------------------------------------------
// Per-session write keys

TEST_F(security_test, the_first_write_gets_a_key_that_every_later_write_needs) {
    start({"--session-keys"});
    const auto first = request(verb::post, "/api/progress/k", progress_body("k", 1));
    ASSERT_EQ(first.status, 200u) << first.body;
    const std::string key(json::parse(first.body).at("writeKey").as_string());
    EXPECT_EQ(key.size(), 43u);
    EXPECT_EQ(first.header("X-Write-Key"), key);

    const auto without = request(verb::post, "/api/progress/k", progress_body("k", 2, "hijack"));
    EXPECT_EQ(without.status, 401u);
    EXPECT_NE(detail_message(without).find("X-Write-Key"), std::string::npos);
    const auto wrong = request(verb::patch, "/api/progress/k", R"({"currentAction":"hijack"})",
                               {{"X-Write-Key", key + "x"}});
    EXPECT_EQ(wrong.status, 403u);
    EXPECT_EQ(request(verb::post, "/api/progress/k/log", log_body(1)).status, 401u);
    // The stored progress is the owner's.
    EXPECT_EQ(json::parse(request(verb::get, "/api/progress/k").body).at("currentStep"), 1);

    const auto owner =
        request(verb::patch, "/api/progress/k", R"({"currentStep":3})", {{"X-Write-Key", key}});
    EXPECT_EQ(owner.status, 200u) << owner.body;
    EXPECT_FALSE(json::parse(owner.body).as_object().contains("writeKey"));
    const auto log =
        request(verb::post, "/api/progress/k/log", log_body(1), {{"X-Write-Key", key}});
    EXPECT_EQ(log.status, 200u);
    // Reads need no key.
    EXPECT_EQ(json::parse(request(verb::get, "/api/progress/k").body).at("currentStep"), 3);
}

TEST_F(security_test, a_patch_that_creates_a_session_returns_its_key_in_the_body_too) {
    start({"--session-keys"});
    const auto created = request(verb::patch, "/api/progress/pk", R"({"currentStep":1})");
    ASSERT_EQ(created.status, 200u) << created.body;
    const auto body = json::parse(created.body);
    EXPECT_EQ(body.at("sessionId"), "pk");
    EXPECT_EQ(body.at("writeKey").as_string(), created.header("X-Write-Key"));
}

TEST_F(security_test, of_concurrent_first_writes_exactly_one_gets_the_key) {
    start({"--session-keys"});
    std::mutex mutex;
    std::vector<unsigned> statuses;
    std::set<std::string> keys;
    std::vector<std::thread> writers;
    for (int i = 0; i < 16; ++i) {
        writers.emplace_back([&, i] {
            cli::http_client client(server_->base_url());
            const auto r =
                client.request(verb::post, "/api/progress/race", progress_body("race", i));
            const std::lock_guard lock(mutex);
            statuses.push_back(r.status);
            if (r.status == 200)
                keys.insert(std::string(json::parse(r.body).at("writeKey").as_string()));
        });
    }
    for (auto& t : writers) t.join();
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200u), 1);
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 401u), 15);
    EXPECT_EQ(keys.size(), 1u);
}

// Issue 11 item 6: a PATCH claims the key only once its merged document passed every check,
// so a refused PATCH neither locks the session with a key nobody was given nor leaves one.
TEST_F(security_test, a_refused_patch_claims_no_key_and_leaves_the_session_free) {
    start({"--session-keys"});
    const auto mismatch = request(verb::patch, "/api/progress/pm", R"({"sessionId":"other"})");
    EXPECT_EQ(mismatch.status, 400u);
    EXPECT_EQ(json::parse(mismatch.body).at("error"), "Session ID mismatch");
    EXPECT_EQ(mismatch.header("X-Write-Key"), "");
    const auto invalid = request(verb::patch, "/api/progress/pm", R"({"currentStep":"x"})");
    EXPECT_EQ(invalid.status, 400u);
    EXPECT_EQ(invalid.header("X-Write-Key"), "");
    // Nobody holds the session: the next writer claims it and gets its key.
    const auto first = request(verb::post, "/api/progress/pm", progress_body("pm", 1));
    ASSERT_EQ(first.status, 200u) << first.body;
    EXPECT_EQ(first.header("X-Write-Key").size(), 43u);
}

// Issue 11 item 6: on a full store, a write to a new session claims no key either, so a flood
// of refused writes leaves no key rows.
TEST_F(security_test, writes_refused_by_a_full_store_leave_no_write_key_behind) {
    start({"--session-keys", "--max-sessions", "1", "--admin-token", admin_token});
    ASSERT_EQ(request(verb::post, "/api/progress/a", progress_body("a", 1)).status, 200u);
    for (int i = 0; i < 3; ++i) {
        const auto full = request(verb::post, "/api/progress/b", progress_body("b", 1));
        EXPECT_EQ(full.status, 507u) << full.body;
        EXPECT_EQ(json::parse(full.body).at("error"), "Failed to store progress");
        EXPECT_EQ(full.header("X-Write-Key"), "");
    }
    EXPECT_EQ(request(verb::post, "/api/progress/b/log", log_body(1)).status, 507u);
    EXPECT_EQ(request(verb::patch, "/api/progress/b", R"({"currentStep":1})").status, 507u);
    ASSERT_EQ(request(verb::delete_, "/api/progress/a", {}, bearer(admin_token)).status, 200u);
    const auto b = request(verb::post, "/api/progress/b", progress_body("b", 1));
    EXPECT_EQ(b.status, 200u) << b.body;
}

//------------------------------------------------------------------------------
// Rate limits

TEST_F(security_test, writes_over_the_limit_get_429_with_retry_after_then_recover) {
    start({"--write-rate", "2", "--write-burst", "3"});
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(request(verb::post, "/api/progress/rl", progress_body("rl", i)).status, 200u);
    }
    const auto limited = request(verb::post, "/api/progress/rl", progress_body("rl", 9));
    EXPECT_EQ(limited.status, 429u);
    EXPECT_EQ(limited.header("Retry-After"), "1");
    EXPECT_EQ(json::parse(limited.body).at("retryAfter"), 1);
    EXPECT_NE(detail_message(limited).find("2 writes per second"), std::string::npos);
    // The refused write did not land.
    EXPECT_EQ(json::parse(request(verb::get, "/api/progress/rl").body).at("currentStep"), 2);
    // Reads have their own bucket.
    EXPECT_EQ(request(verb::get, "/api/progress/rl").status, 200u);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    EXPECT_EQ(request(verb::post, "/api/progress/rl", progress_body("rl", 5)).status, 200u);
}

TEST_F(security_test, reads_have_their_own_limit_and_health_checks_none) {
    start({"--read-rate", "1", "--read-burst", "2"});
    EXPECT_EQ(request(verb::get, "/api/progress/x").status, 404u);
    EXPECT_EQ(request(verb::get, "/api/progress/x").status, 404u);
    EXPECT_EQ(request(verb::get, "/api/progress/x").status, 429u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(request(verb::get, "/healthz").status, 200u);
    // Writes are not limited by the read bucket.
    EXPECT_EQ(request(verb::post, "/api/progress/x", progress_body("x", 1)).status, 200u);
}

TEST_F(security_test, forwarded_addresses_count_only_from_a_trusted_proxy) {
    // Untrusted: X-Forwarded-For is ignored, so changing it does not escape the limit.
    {
        start({"--write-rate", "1", "--write-burst", "1"});
        EXPECT_EQ(request(verb::post, "/api/progress/p", progress_body("p", 1),
                          {{"X-Forwarded-For", "203.0.113.1"}})
                      .status,
                  200u);
        EXPECT_EQ(request(verb::post, "/api/progress/p", progress_body("p", 2),
                          {{"X-Forwarded-For", "203.0.113.2"}})
                      .status,
                  429u);
    }
    // Trusted: each forwarded client has its own bucket.
    start({"--write-rate", "1", "--write-burst", "1", "--trust-proxy", "127.0.0.0/8"});
    EXPECT_EQ(request(verb::post, "/api/progress/p", progress_body("p", 1),
                      {{"X-Forwarded-For", "203.0.113.1"}})
                  .status,
              200u);
    EXPECT_EQ(request(verb::post, "/api/progress/p", progress_body("p", 2),
                      {{"X-Forwarded-For", "203.0.113.1"}})
                  .status,
              429u);
    EXPECT_EQ(request(verb::post, "/api/progress/p", progress_body("p", 3),
                      {{"Forwarded", "for=203.0.113.2"}})
                  .status,
              200u);
}

//------------------------------------------------------------------------------
// Quotas

TEST_F(security_test, data_quotas_answer_400_with_zod_style_issues_and_store_nothing) {
    start({"--max-tools", "2", "--max-completed-steps", "2"});
    ASSERT_EQ(request(verb::post, "/api/progress/q", progress_body("q", 1)).status, 200u);
    const auto stored = request(verb::get, "/api/progress/q").body;

    std::string tools =
        R"({"a":{"status":"pending"},"b":{"status":"pending"},"c":{"status":"pending"}})";
    std::string body = progress_body("q", 2);
    body.replace(body.find(R"({"git")"),
                 std::string(R"({"git":{"status":"installing","version":null}})").size(), tools);
    const auto too_many_tools = request(verb::post, "/api/progress/q", body);
    ASSERT_EQ(too_many_tools.status, 400u);
    const auto issue = json::parse(too_many_tools.body).at("details").at(0);
    EXPECT_EQ(issue.at("code"), "too_big");
    EXPECT_EQ(issue.at("maximum"), 2);
    EXPECT_EQ(issue.at("path"), json::parse(R"(["toolStatus"])"));

    const auto steps = request(verb::patch, "/api/progress/q", R"({"completedSteps":[1,2,3]})");
    ASSERT_EQ(steps.status, 400u);
    EXPECT_EQ(json::parse(steps.body).at("details").at(0).at("path"),
              json::parse(R"(["completedSteps"])"));

    const auto action = request(verb::patch, "/api/progress/q",
                                R"({"currentAction":")" + std::string(2049, 'a') + R"("})");
    ASSERT_EQ(action.status, 400u);
    EXPECT_EQ(json::parse(action.body).at("details").at(0).at("message"),
              "Too big: expected string to have <=2048 characters");

    const auto log = request(verb::post, "/api/progress/q/log",
                             R"({"tool":"git","error":")" + std::string(16385, 'e') +
                                 R"(","suggestedFix":"x","timestamp":"t","step":1})");
    EXPECT_EQ(log.status, 400u);
    EXPECT_EQ(request(verb::get, "/api/progress/q").body, stored);
    EXPECT_EQ(request(verb::get, "/api/progress/q/log").body, R"({"errors":[]})");
}

TEST_F(security_test, a_full_error_log_answers_429_and_keeps_its_entries) {
    start({"--max-log-entries", "3"});
    for (int i = 1; i <= 3; ++i) {
        ASSERT_EQ(request(verb::post, "/api/progress/lf/log", log_body(i)).status, 200u);
    }
    const auto full = request(verb::post, "/api/progress/lf/log", log_body(4));
    ASSERT_EQ(full.status, 429u);
    const auto body = json::parse(full.body);
    EXPECT_EQ(body.at("error"), "Error log is full");
    EXPECT_EQ(body.at("details").at(0).at("maximum"), 3);
    EXPECT_EQ(
        json::parse(request(verb::get, "/api/progress/lf/log").body).at("errors").as_array().size(),
        3u);
}

// Issue 11 item 4: a log and a progress have byte quotas, refused like a full log.
TEST_F(security_test, a_log_or_progress_past_its_bytes_answers_429_and_stores_nothing) {
    start({"--max-log-bytes", "2048", "--max-progress-bytes", "1024"});
    std::uint64_t accepted = 0;
    cli::http_response refused;
    for (int i = 1; i <= 100; ++i) {
        refused = request(verb::post, "/api/progress/lb/log", log_body(i));
        if (refused.status != 200u) break;
        ++accepted;
    }
    ASSERT_EQ(refused.status, 429u) << refused.body;
    EXPECT_EQ(refused.body,
              R"({"error":"Error log is too large","details":[{"origin":"log","code":"too_big",)"
              R"("maximum":2048,"inclusive":true,"path":[],)"
              R"("message":"Too big: expected log to have <=2048 bytes"}]})");
    const auto log = request(verb::get, "/api/progress/lb/log");
    EXPECT_EQ(json::parse(log.body).at("errors").as_array().size(), accepted);
    EXPECT_LE(log.body.size(), 2048u + 11u);  // {"errors":…}

    const std::string action(1000, 'a');
    const auto big = request(verb::post, "/api/progress/pb", progress_body("pb", 1, action));
    ASSERT_EQ(big.status, 429u) << big.body;
    EXPECT_EQ(json::parse(big.body).at("error"), "Progress data is too large");
    EXPECT_EQ(json::parse(big.body).at("details").at(0).at("maximum"), 1024);
    EXPECT_EQ(request(verb::get, "/api/progress/pb").status, 404u);
    ASSERT_EQ(request(verb::post, "/api/progress/pb", progress_body("pb", 1)).status, 200u);
    const auto grown =
        request(verb::patch, "/api/progress/pb", R"({"currentAction":")" + action + "\"}");
    EXPECT_EQ(grown.status, 429u) << grown.body;
    EXPECT_EQ(json::parse(request(verb::get, "/api/progress/pb").body).at("currentStep"), 1);
}

TEST_F(security_test, a_full_store_answers_507_for_new_sessions_only) {
    start({"--max-sessions", "2"});
    ASSERT_EQ(request(verb::post, "/api/progress/a", progress_body("a", 1)).status, 200u);
    ASSERT_EQ(request(verb::post, "/api/progress/b", progress_body("b", 1)).status, 200u);
    const auto full = request(verb::post, "/api/progress/c", progress_body("c", 1));
    EXPECT_EQ(full.status, 507u);
    EXPECT_EQ(json::parse(full.body).at("cause"), "storage full");
    EXPECT_EQ(request(verb::get, "/api/progress/c").status, 404u);
    EXPECT_EQ(request(verb::post, "/api/progress/a", progress_body("a", 2)).status, 200u);
}

//------------------------------------------------------------------------------
// Admin API

TEST_F(security_test, admin_pages_through_ten_thousand_sessions_each_exactly_once) {
    start({"--admin-token", admin_token});
    constexpr int sessions = 10000;
    constexpr int writers = 8;
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            cli::http_client client(server_->base_url());
            for (int i = w; i < sessions; i += writers) {
                const auto id = "s" + std::to_string(i);
                const auto r =
                    client.request(verb::post, "/api/progress/" + id, progress_body(id, i % 7));
                ASSERT_EQ(r.status, 200u);
            }
        });
    }
    for (auto& t : threads) t.join();

    EXPECT_EQ(request(verb::get, "/api/admin/sessions").status, 401u);
    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    for (;;) {
        const auto r = request(verb::get, "/api/admin/sessions?limit=500&cursor=" + cursor, {},
                               bearer(admin_token));
        ASSERT_EQ(r.status, 200u) << r.body;
        const auto page = json::parse(r.body);
        const auto& list = page.at("sessions").as_array();
        EXPECT_LE(list.size(), 500u);
        for (const auto& s : list) {
            EXPECT_TRUE(seen.insert(std::string(s.at("sessionId").as_string())).second)
                << "listed twice: " << s.at("sessionId");
            EXPECT_EQ(s.at("tools").at("installing"), 1);
            EXPECT_EQ(s.at("complete"), false);
            EXPECT_GT(s.at("expiresIn").as_int64(), 3500);
        }
        ++pages;
        if (page.at("nextCursor").is_null()) break;
        cursor = cli::encode_path_segment(page.at("nextCursor").as_string());
        ASSERT_LT(pages, 100);
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(sessions));
    EXPECT_EQ(request(verb::get, "/api/admin/sessions?limit=0", {}, bearer(admin_token)).status,
              400u);

    const auto stats = request(verb::get, "/api/admin/stats", {}, bearer(admin_token));
    ASSERT_EQ(stats.status, 200u);
    const auto s = json::parse(stats.body);
    EXPECT_EQ(s.at("sessions"), sessions);
    EXPECT_EQ(s.at("writesLastMinute"), sessions);
    EXPECT_EQ(s.at("store"), "sqlite");
    EXPECT_EQ(s.at("storeReady"), true);
}

TEST_F(security_test, delete_removes_progress_and_log_and_tells_watchers_it_expired) {
    start({"--write-token", write_token, "--admin-token", admin_token});
    ASSERT_EQ(
        request(verb::post, "/api/progress/d", progress_body("d", 1), bearer(write_token)).status,
        200u);
    ASSERT_EQ(request(verb::post, "/api/progress/d/log", log_body(1), bearer(write_token)).status,
              200u);
    sse_client watcher(server_->port(), "/api/progress/d/events");
    ASSERT_EQ(watcher.status(), 200);
    ASSERT_EQ(watcher.next()->name, "progress");
    ASSERT_EQ(watcher.next()->name, "log");

    EXPECT_EQ(request(verb::delete_, "/api/progress/d").status, 401u);
    const auto deleted = request(verb::delete_, "/api/progress/d", {}, bearer(admin_token));
    ASSERT_EQ(deleted.status, 200u);
    EXPECT_EQ(json::parse(deleted.body).at("deleted"), true);
    auto event = watcher.next();
    ASSERT_TRUE(event);
    EXPECT_EQ(event->name, "expired");
    EXPECT_EQ(request(verb::get, "/api/progress/d").status, 404u);
    EXPECT_EQ(request(verb::get, "/api/progress/d/log").body, R"({"errors":[]})");
    // Deleting again is not an error: there is just nothing left.
    const auto again = request(verb::delete_, "/api/progress/d", {}, bearer(write_token));
    EXPECT_EQ(again.status, 200u);
    EXPECT_EQ(json::parse(again.body).at("deleted"), false);
}

}  // namespace
}  // namespace progressd::testing
