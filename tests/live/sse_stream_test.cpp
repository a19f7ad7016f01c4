// The event stream without sockets: a string sink and the memory store, so framing, resume
// rules and coalescing are checked exactly.
#include "live/sse_stream.hpp"
#include "live/hub.hpp"
#include "store/memory_store.hpp"
#include "store/sqlite_store.hpp"
#include "support/run_sync.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>

namespace progressd::live {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

TEST(sse_stream_test, event_ids_parse_only_in_their_own_shape) {
    const auto id = parse_event_id("12-3");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->version, 12u);
    EXPECT_EQ(id->log_count, 3u);
    for (const char* bad :
         {"", "12", "-3", "12-", "a-1", "1-2-3", "1 -2", "99999999999999999999-1"}) {
        EXPECT_FALSE(parse_event_id(bad)) << bad;
    }
}

TEST(sse_stream_test, events_are_framed_as_the_spec_says) {
    EXPECT_EQ(format_event("progress", "2-1", R"({"a":1})"),
              "event: progress\nid: 2-1\ndata: {\"a\":1}\n\n");
    EXPECT_EQ(format_event("waiting", "", "{}"), "event: waiting\ndata: {}\n\n");
}

// Text that another program stored or published (a raw SET of pretty-printed JSON) must not end
// the data field early: the rest would be read as other fields, or as the end of the event.
TEST(sse_stream_test, line_breaks_in_the_data_never_break_the_framing) {
    EXPECT_EQ(format_event("progress", "2-1", "{\n  \"a\": 1.50,\r\n  \"b\": [\"x\\ny\"]\r}\n"),
              "event: progress\nid: 2-1\ndata: {\"a\":1.5,\"b\":[\"x\\ny\"]}\n\n");
    // Not JSON: one data line per line, which a client joins again with "\n".
    EXPECT_EQ(format_event("log", "", "a\nb\r\nc\rd\n"),
              "event: log\ndata: a\ndata: b\ndata: c\ndata: d\ndata: \n\n");
    EXPECT_EQ(format_event("log", "", "\n\nevent: x"),
              "event: log\ndata: \ndata: \ndata: event: x\n\n");
}

TEST(sse_stream_test, a_watcher_keeps_only_the_latest_progress_and_bounds_its_log) {
    net::io_context ioc;
    auto w = std::make_shared<watcher>(ioc.get_executor());
    for (std::uint64_t v = 1; v <= 100; ++v) {
        w->offer_progress({v, std::make_shared<const std::string>(std::to_string(v))});
    }
    w->offer_progress({7, std::make_shared<const std::string>("7")});  // published late
    auto pending = w->take();
    ASSERT_TRUE(pending.progress);
    EXPECT_EQ(pending.progress->version, 100u);
    EXPECT_EQ(*pending.progress->json, "100");
    EXPECT_TRUE(w->take().empty());

    for (std::uint64_t n = 1; n <= watcher::max_pending_log_entries + 1; ++n) {
        w->offer_log({n, std::make_shared<const std::string>("{}")});
    }
    pending = w->take();
    EXPECT_EQ(pending.log.size(), watcher::max_pending_log_entries);
    EXPECT_TRUE(pending.overflowed);
}

// Collects what a stream sends.
class string_sink final : public event_sink {
public:
    net::awaitable<bool> send(std::string text) override {
        sent += text;
        co_return true;
    }
    std::string sent;
};

TEST(sse_stream_test, the_hub_delivers_to_watchers_of_that_session_only_and_honours_limits) {
    net::io_context ioc;
    hub h({3, 2});
    auto a = std::make_shared<watcher>(ioc.get_executor());
    auto b = std::make_shared<watcher>(ioc.get_executor());
    auto [ra, refused_a] = h.watch("s1", "10.0.0.1", a);
    auto [rb, refused_b] = h.watch("s2", "10.0.0.1", b);
    EXPECT_EQ(refused_a, watch_refusal::none);
    EXPECT_EQ(h.watch("s1", "10.0.0.1", std::make_shared<watcher>(ioc.get_executor())).second,
              watch_refusal::client_full);
    auto [rc, refused_c] = h.watch("s1", "10.0.0.2", std::make_shared<watcher>(ioc.get_executor()));
    EXPECT_EQ(refused_c, watch_refusal::none);
    EXPECT_EQ(h.watch("s1", "10.0.0.3", std::make_shared<watcher>(ioc.get_executor())).second,
              watch_refusal::instance_full);

    h.publish_progress("s1", {1, std::make_shared<const std::string>("x")});
    EXPECT_TRUE(a->take().progress.has_value());
    EXPECT_FALSE(b->take().progress.has_value());

    ra.reset();  // unregistering frees both counts
    EXPECT_EQ(h.watcher_count(), 2u);
    EXPECT_EQ(h.watch("s1", "10.0.0.1", a).second, watch_refusal::none);
}

TEST(sse_stream_test, a_stream_sends_state_then_changes_and_ends_on_close) {
    net::io_context ioc;
    manual_clock clock;
    store::memory_store store(clock);
    testing::run_sync(ioc, store.put("s", R"({"v":1})", 60s));
    testing::run_sync(
        ioc,
        store.append_log(
            "s", R"({"tool":"t","error":"e","suggestedFix":"f","timestamp":"t","step":1})", 60s));

    auto w = std::make_shared<watcher>(ioc.get_executor());
    string_sink sink;
    net::co_spawn(ioc, stream_session(store, *w, "s", std::nullopt, {60s, 10s}, sink),
                  net::detached);
    ioc.run_for(50ms);
    w->offer_progress({2, std::make_shared<const std::string>(R"({"v":2})")});
    w->offer_progress(
        {1, std::make_shared<const std::string>(R"({"v":"old"})")});  // stale: dropped
    ioc.restart();
    ioc.run_for(50ms);
    w->offer_closing();
    ioc.restart();
    ioc.run();
    EXPECT_EQ(sink.sent,
              "retry: 2000\n\n"
              "event: progress\nid: 1-0\ndata: {\"v\":1}\n\n"
              "event: log\nid: 1-1\ndata: {\"tool\":\"t\",\"error\":\"e\",\"suggestedFix\":\"f\","
              "\"timestamp\":\"t\",\"step\":1}\n\n"
              "event: progress\nid: 2-1\ndata: {\"v\":2}\n\n"
              "event: closing\ndata: {\"reason\":\"server shutting down\"}\n\n");
}

// Issue 11 item 4: the largest log a session may have (1,000 entries and close to 1 MiB, the
// worst case of both quotas) is stored whole, read back byte for byte within the bound, and split
// into its 1,000 entries for a new event stream. How long that takes is a benchmark's question,
// not a test's (docs/reliability.md has the figures).
TEST(sse_stream_test, the_largest_allowed_log_is_stored_read_and_split_whole) {
    testing::temp_dir dir;
    manual_clock clock;
    store::sqlite_options options{dir.path() + "/log.db"};
    store::sqlite_store store(options, clock);
    net::io_context ioc;
    const std::string fixed =
        R"({"tool":"t","error":"","suggestedFix":"f","timestamp":"t","step":1})";
    const std::string entry = R"({"tool":"t","error":")" + std::string(1045 - fixed.size(), 'e') +
                              R"(","suggestedFix":"f","timestamp":"t","step":1})";
    ASSERT_EQ(entry.size(), 1045u);
    for (int i = 0; i < 1000; ++i) {
        net::co_spawn(ioc, store.append_log("big", entry, std::chrono::hours(1)), net::detached);
    }
    ioc.run();
    const std::string log = *testing::run_sync(ioc, store.get_log("big"));
    ASSERT_GE(log.size(), 1000u * 1045u);
    ASSERT_LE(log.size(), std::size_t{1} << 20);
    EXPECT_EQ(log_entries(log).size(), 1000u);
    store.close();
}

}  // namespace
}  // namespace progressd::live
