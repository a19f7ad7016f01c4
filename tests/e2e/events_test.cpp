// Server-Sent Events against the real binary: what a watcher sees, in what order, on resume,
// at expiry and at shutdown, and that one write reaches every watcher exactly once.
#include "e2e/e2e_support.hpp"
#include "support/sse_client.hpp"

#include <thread>

namespace progressd::testing {
namespace {

using namespace std::chrono_literals;

class events_test : public e2e_test {
protected:
    std::unique_ptr<sse_client> watch(const std::string& id,
                                      const std::string& last_event_id = "") {
        auto client = std::make_unique<sse_client>(
            server_->port(), "/api/progress/" + id + "/events", last_event_id);
        EXPECT_EQ(client->status(), 200);
        return client;
    }

    static sse_event must_get(sse_client& c, std::chrono::milliseconds timeout = 3s) {
        auto e = c.next(timeout);
        EXPECT_TRUE(e.has_value()) << "no event";
        return e.value_or(sse_event{"<none>", "", ""});
    }

    void post(const std::string& id, int step) {
        ASSERT_EQ(request(verb::post, "/api/progress/" + id, progress_body(id, step)).status, 200u);
    }
    void append(const std::string& id, int step) {
        ASSERT_EQ(request(verb::post, "/api/progress/" + id + "/log", log_body(step)).status, 200u);
    }
};

TEST_F(events_test, a_watcher_waits_for_a_session_then_sees_every_write_in_order) {
    start();
    auto w = watch("live");
    EXPECT_NE(w->headers().find("Content-Type: text/event-stream"), std::string::npos);
    EXPECT_NE(w->headers().find("Access-Control-Allow-Origin: *"), std::string::npos);
    auto e = must_get(*w);
    EXPECT_EQ(e.name, "waiting");
    EXPECT_EQ(e.data, R"({"sessionId":"live"})");

    post("live", 1);
    e = must_get(*w);
    EXPECT_EQ(e.name, "progress");
    EXPECT_EQ(e.id, "1-0");
    EXPECT_EQ(e.data, progress_body("live", 1));  // the same JSON a GET returns

    append("live", 1);
    e = must_get(*w);
    EXPECT_EQ(e.name, "log");
    EXPECT_EQ(e.id, "1-1");
    EXPECT_EQ(e.data, log_body(1));

    post("live", 2);
    e = must_get(*w);
    EXPECT_EQ(e.name, "progress");
    EXPECT_EQ(e.id, "2-1");
    EXPECT_EQ(e.data, progress_body("live", 2));
}

TEST_F(events_test, a_new_watcher_gets_the_current_state_and_log_first) {
    start();
    post("s", 1);
    append("s", 1);
    append("s", 2);
    auto w = watch("s");
    auto e = must_get(*w);
    EXPECT_EQ(e.name, "progress");
    EXPECT_EQ(e.data, progress_body("s", 1));
    EXPECT_EQ(must_get(*w).data, log_body(1));
    EXPECT_EQ(must_get(*w).data, log_body(2));
}

TEST_F(events_test, last_event_id_resumes_without_repeats_or_gaps) {
    start();
    post("r", 1);
    append("r", 1);
    post("r", 2);
    append("r", 2);
    // The client saw version 1 and one log entry before it lost the connection.
    auto w = watch("r", "1-1");
    auto e = must_get(*w);
    EXPECT_EQ(e.name, "progress");
    EXPECT_EQ(e.data, progress_body("r", 2));
    e = must_get(*w);
    EXPECT_EQ(e.name, "log");
    EXPECT_EQ(e.data, log_body(2));
    EXPECT_EQ(e.id, "2-2");
    // Nothing else is pending.
    EXPECT_FALSE(w->next(300ms).has_value());

    // Up to date: nothing at all is resent.
    auto current = watch("r", "2-2");
    EXPECT_FALSE(current->next(300ms).has_value());
}

TEST_F(events_test, idle_streams_carry_heartbeat_comments) {
    start({"--heartbeat", "200"});
    post("hb", 1);
    auto w = watch("hb");
    EXPECT_EQ(must_get(*w).name, "progress");
    const auto e = must_get(*w, 1s);
    EXPECT_EQ(e.name, "");
    EXPECT_EQ(e.data, " keep-alive");
}

TEST_F(events_test, expiry_sends_expired_and_ends_the_stream) {
    start({"--ttl", "1"});
    post("gone", 1);
    auto w = watch("gone");
    EXPECT_EQ(must_get(*w).name, "progress");
    const auto e = must_get(*w, 3s);
    EXPECT_EQ(e.name, "expired");
    EXPECT_FALSE(w->next(1s).has_value());
    EXPECT_TRUE(w->closed());
}

TEST_F(events_test, one_write_reaches_a_thousand_watchers_exactly_once) {
    start({"--max-watchers-per-ip", "2000", "--max-connections", "2000"});
    post("crowd", 1);
    std::vector<std::unique_ptr<sse_client>> watchers;
    for (int i = 0; i < 1000; ++i) {
        watchers.push_back(watch("crowd"));
        ASSERT_EQ(must_get(*watchers.back()).name, "progress");
    }
    post("crowd", 2);
    int delivered = 0;
    for (auto& w : watchers) {
        const auto e = w->next(5s);
        if (e && e->name == "progress" && e->data == progress_body("crowd", 2)) ++delivered;
        EXPECT_FALSE(w->next(1ms).has_value()) << "a second event";
    }
    EXPECT_EQ(delivered, 1000);
}

TEST_F(events_test, watchers_per_client_are_limited_with_429_and_a_closed_tab_frees_its_place) {
    start({"--max-watchers-per-ip", "2"});
    auto a = watch("x");
    auto b = watch("x");
    sse_client third(server_->port(), "/api/progress/x/events");
    EXPECT_EQ(third.status(), 429);
    a.reset();  // the server notices the closed connection without writing to it
    std::this_thread::sleep_for(200ms);
    auto c = watch("x");
    EXPECT_EQ(must_get(*c).name, "waiting");
}

TEST_F(events_test, watchers_per_instance_are_limited_with_503) {
    start({"--max-watchers", "2"});
    auto a = watch("x");
    auto b = watch("y");
    sse_client third(server_->port(), "/api/progress/z/events");
    EXPECT_EQ(third.status(), 503);
}

TEST_F(events_test, a_watcher_that_stops_reading_costs_no_growing_memory) {
#if defined(__SANITIZE_ADDRESS__)
    // The server's RSS then counts ASan's quarantine of freed blocks (up to 256 MiB), not ours.
    GTEST_SKIP() << "RSS is meaningless under AddressSanitizer";
#endif
    start({"--store", "memory:"});
    post("slow", 0);
    // This client never reads: once the socket buffers are full, every further update can only
    // wait in the server, which keeps just the newest one.
    sse_client stalled(server_->port(), "/api/progress/slow/events", "", 4096);
    std::this_thread::sleep_for(200ms);
    cli::http_client client(server_->base_url());
    // ~48 KiB per update: three errors with a suggested fix of 16,000 characters each (within
    // the per-text quota).
    const auto big_progress = [](int step) {
        std::string errors = R"("errors":[)";
        for (int i = 0; i < 3; ++i) {
            if (i > 0) errors += ',';
            errors +=
                R"({"tool":"t","error":"e","suggestedFix":")" + std::string(16000, 'x') + R"("})";
        }
        errors += ']';
        std::string body = progress_body("slow", step);
        body.replace(body.find(R"("errors":[])"), std::string_view(R"("errors":[])").size(),
                     errors);
        return body;
    };
    for (int step = 1; step <= 50; ++step) {  // fill the socket buffers first
        client.request(verb::post, "/api/progress/slow", big_progress(step));
    }
    const long before = server_->rss_kib();
    for (int step = 51; step <= 1050; ++step) {  // then publish about 48 MiB more
        ASSERT_EQ(client.request(verb::post, "/api/progress/slow", big_progress(step)).status,
                  200u);
    }
    const long after = server_->rss_kib();
    EXPECT_LT(after - before, 8 * 1024) << "RSS grew from " << before << " to " << after << " KiB";
    RecordProperty("rss_growth_kib", static_cast<int>(after - before));
    // A watcher that does read still gets the newest state.
    auto fresh = watch("slow");
    EXPECT_EQ(must_get(*fresh).data, big_progress(1050));
}

TEST_F(events_test, sigterm_ends_open_streams_promptly) {
    start();
    post("bye", 1);
    auto w = watch("bye");
    EXPECT_EQ(must_get(*w).name, "progress");
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(server_->terminate(), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    const auto e = must_get(*w);
    EXPECT_EQ(e.name, "closing");
}

}  // namespace
}  // namespace progressd::testing
