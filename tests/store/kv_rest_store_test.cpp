// The kv-rest store (src/store/kv_rest_store.cpp) against tests/upstash-rest/server.mjs in front
// of a real redis-server: the original app's data in both directions, the two tokens, startup
// diagnosis, and an endpoint that dies or hangs. The store contract runs in
// store_contract_test.cpp; expiry, which is Redis's own, is tested here by moving Redis's TTLs.
#include "store/kv_rest_store.hpp"

#include "support/redis_server.hpp"
#include "support/run_sync.hpp"
#include "support/upstash_endpoint.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

namespace progressd::store {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

constexpr const char* write_token = "test-write-token";
constexpr const char* read_token = "test-read-token";

// ProgressData as the original app stores it: JSON.stringify of the object (what
// @upstash/redis sends for `kv.set(key, object, {ex})`).
const std::string original_progress =
    R"({"sessionId":"orig","currentStep":2,"completedSteps":[1],"currentAction":"Installing Git",)"
    R"("toolStatus":{"git":{"status":"installing","version":null}},"errors":[],)"
    R"("timestamp":"2026-11-26T12:00:00.000Z","phase":"phase1","complete":false})";
const std::string original_entry =
    R"({"tool":"git","error":"winget exited with code 1","suggestedFix":"Run as admin",)"
    R"("timestamp":"2026-11-26T12:00:00.000Z","step":2})";

class kv_rest_store_test : public ::testing::Test {
protected:
    store_spec spec(const std::string& url, std::string token = write_token,
                    std::string read_only_token = read_token) const {
        return {store_spec::kind::kv_rest, url, std::move(token), std::move(read_only_token)};
    }
    store_spec spec() const { return spec(endpoint_.url()); }

    std::unique_ptr<store> open(const store_spec& s, open_options options = {}) {
        return make_kv_rest_store(s, options, clock_);
    }

    // The message of the exception that opening `s` throws; "" when it opens.
    std::string open_failure(const store_spec& s) {
        try {
            open(s)->close();
        } catch (const std::runtime_error& e) {
            return e.what();
        }
        return "";
    }

    template <class T>
    T run(net::awaitable<T> work) {
        return testing::run_sync(ioc_, std::move(work));
    }

    // redis-cli's raw answer without its final newline.
    std::string cli(const std::vector<std::string>& args) {
        std::string answer = redis_.cli(args);
        if (answer.ends_with('\n')) answer.pop_back();
        return answer;
    }
    long ttl_of(const std::string& key) { return std::stol(cli({"TTL", key})); }

    testing::redis_server redis_;
    testing::upstash_endpoint endpoint_{redis_, write_token, read_token};
    manual_clock clock_;
    net::io_context ioc_;
};

//------------------------------------------------------------------------------
// Data

TEST_F(kv_rest_store_test, put_get_append_and_get_log_round_trip) {
    auto s = open(spec());
    EXPECT_EQ(run(s->get("s")).error(), store_errc::not_found);
    EXPECT_EQ(run(s->get_log("s")).value(), "[]");

    const auto v1 = run(s->put("s", R"({"a":1})", 60s));
    ASSERT_TRUE(v1.has_value()) << v1.error().message();
    const std::string unusual = R"({"a":"\u00e9 é 😀 \"q\" \\ \n","b":[1e3,-0.5]})";
    const auto v2 = run(s->put("s", unusual, 60s));
    ASSERT_TRUE(v2.has_value());
    EXPECT_EQ(*v2, *v1 + 1);
    const auto got = run(s->get("s"));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->json, unusual);
    EXPECT_EQ(got->version, *v2);

    EXPECT_EQ(run(s->append_log("s", R"({"n":1})", 60s)).value(), 1u);
    EXPECT_EQ(run(s->append_log("s", R"({"n":2,"t":"é"})", 60s)).value(), 2u);
    EXPECT_EQ(run(s->get_log("s")).value(), R"([{"n":1},{"n":2,"t":"é"}])");
    EXPECT_TRUE(run(s->ping()).has_value());
}

TEST_F(kv_rest_store_test, reads_what_the_original_app_wrote) {
    const std::string log = "[" + original_entry + "]";
    cli({"SET", "progress:orig", original_progress, "EX", "3600"});
    cli({"SET", "progress:orig:log", log, "EX", "3600"});
    auto s = open(spec());

    const auto got = run(s->get("orig"));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->json, original_progress);
    EXPECT_EQ(got->version, 0u);  // the original app keeps no version
    EXPECT_EQ(run(s->get_log("orig")).value(), log);

    EXPECT_EQ(run(s->append_log("orig", R"({"n":2})", 3600s)).value(), 2u);
    EXPECT_EQ(run(s->get_log("orig")).value(), "[" + original_entry + R"(,{"n":2}])");
    EXPECT_EQ(run(s->put("orig", original_progress, 3600s)).value(), 1u);
}

TEST_F(kv_rest_store_test, writes_what_the_original_app_reads) {
    auto s = open(spec());
    ASSERT_TRUE(run(s->put("w", original_progress, 3600s)).has_value());
    ASSERT_TRUE(run(s->append_log("w", original_entry, 1800s)).has_value());

    EXPECT_EQ(cli({"GET", "progress:w"}), original_progress);
    EXPECT_EQ(cli({"GET", "progress:w:log"}), "[" + original_entry + "]");
    EXPECT_GE(ttl_of("progress:w"), 3590);
    EXPECT_LE(ttl_of("progress:w"), 3600);
    EXPECT_GE(ttl_of("progress:w:log"), 1790);
    EXPECT_LE(ttl_of("progress:w:log"), 1800);
}

TEST_F(kv_rest_store_test, a_log_that_is_not_a_json_array_fails_and_stays_as_it_was) {
    cli({"SET", "progress:bad:log", R"({"not":"an array"})"});
    auto s = open(spec());
    EXPECT_EQ(run(s->append_log("bad", "1", 60s)).error(), store_errc::io_error);
    EXPECT_EQ(cli({"GET", "progress:bad:log"}), R"({"not":"an array"})");
}

TEST_F(kv_rest_store_test, scripts_are_loaded_again_after_redis_forgets_them) {
    auto s = open(spec());
    ASSERT_EQ(run(s->put("s", "1", 60s)).value(), 1u);
    ASSERT_EQ(run(s->append_log("s", "1", 60s)).value(), 1u);
    cli({"SCRIPT", "FLUSH"});  // as after a restart of Redis
    EXPECT_EQ(run(s->put("s", "2", 60s)).value(), 2u);
    EXPECT_EQ(run(s->append_log("s", "2", 60s)).value(), 2u);
    EXPECT_EQ(run(s->get("s"))->json, "2");
}

TEST_F(kv_rest_store_test, expiry_is_redis_own_and_each_write_refreshes_it) {
    auto s = open(spec());
    ASSERT_TRUE(run(s->put("s", "{}", 10s)).has_value());
    ASSERT_TRUE(run(s->append_log("s", "1", 20s)).has_value());
    EXPECT_LE(ttl_of("progress:s:version"), 10);

    testing::advance_redis_time(redis_, 9s);
    ASSERT_TRUE(run(s->get("s")).has_value());
    ASSERT_TRUE(run(s->put("s", "{}", 10s)).has_value());  // lives 10 s from now
    testing::advance_redis_time(redis_, 9s);
    EXPECT_TRUE(run(s->get("s")).has_value());
    testing::advance_redis_time(redis_, 1s);
    EXPECT_EQ(run(s->get("s")).error(), store_errc::not_found);
    EXPECT_EQ(run(s->get_log("s")).value(), "[1]");  // 1 s of its 20 left
    testing::advance_redis_time(redis_, 1s);
    EXPECT_EQ(run(s->get_log("s")).value(), "[]");
    EXPECT_EQ(run(s->append_log("s", "2", 20s)).value(), 1u);
}

TEST_F(kv_rest_store_test, concurrent_appends_each_get_a_distinct_count) {
    auto s = open(spec());
    constexpr int appends = 200;
    std::vector<std::uint64_t> counts;
    std::mutex counts_mutex;
    for (int i = 0; i < appends; ++i) {
        net::co_spawn(
            ioc_,
            [&, i]() -> net::awaitable<void> {
                auto n = co_await s->append_log("race", std::to_string(i), 60s);
                const std::lock_guard lock(counts_mutex);
                counts.push_back(n.has_value() ? *n : 0);
            },
            net::detached);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([this] { ioc_.run(); });
    for (auto& t : threads) t.join();

    std::sort(counts.begin(), counts.end());
    std::vector<std::uint64_t> expected(appends);
    std::iota(expected.begin(), expected.end(), 1);
    EXPECT_EQ(counts, expected);
    const auto log = boost::json::parse(run(s->get_log("race")).value());
    std::set<std::int64_t> entries;
    for (const auto& e : log.as_array()) entries.insert(e.as_int64());
    EXPECT_EQ(entries.size(), static_cast<std::size_t>(appends));
}

//------------------------------------------------------------------------------
// Tokens and startup

TEST_F(kv_rest_store_test, writes_use_the_token_and_reads_the_read_only_token) {
    auto s = open(spec());
    ASSERT_TRUE(run(s->put("s", "{}", 60s)).has_value());
    ASSERT_TRUE(run(s->append_log("s", "1", 60s)).has_value());
    ASSERT_TRUE(run(s->get("s")).has_value());
    ASSERT_TRUE(run(s->get_log("s")).has_value());

    // The endpoint refuses writes with the read-only token, as Upstash does...
    auto read_only = open(spec(endpoint_.url(), read_token, ""));
    EXPECT_EQ(run(read_only->put("s", "{}", 60s)).error(), store_errc::io_error);
    EXPECT_EQ(run(read_only->append_log("s", "2", 60s)).error(), store_errc::io_error);
    read_only->close();

    // ...and reads carry the read-only token: once it is no longer accepted, reads fail while
    // writes go on.
    const auto port = endpoint_.port();
    endpoint_.stop();
    testing::upstash_endpoint other(redis_, write_token, "another-read-token", port);
    EXPECT_EQ(run(s->get("s")).error(), store_errc::io_error);
    EXPECT_EQ(run(s->get_log("s")).error(), store_errc::io_error);
    EXPECT_TRUE(run(s->put("s", "{}", 60s)).has_value());
    EXPECT_TRUE(run(s->ping()).has_value());
}

TEST_F(kv_rest_store_test, a_rejected_token_stops_startup_naming_its_variable) {
    const std::string url = endpoint_.url();
    EXPECT_EQ(open_failure(spec(url, "wrong")), "KV_REST_API_TOKEN is not accepted by " + url);
    EXPECT_EQ(open_failure(spec(url, write_token, "wrong")),
              "KV_REST_API_READ_ONLY_TOKEN is not accepted by " + url);
    EXPECT_EQ(open_failure(spec(url, write_token, "")), "");
}

TEST_F(kv_rest_store_test, a_redis_port_given_as_the_rest_url_stops_startup) {
    const std::string url = "http://127.0.0.1:" + std::to_string(redis_.port());
    EXPECT_EQ(open_failure(spec(url)),
              "KV_REST_API_URL=" + url +
                  " answers with the Redis protocol, not HTTP: use --store redis://host:port "
                  "instead");
    EXPECT_EQ(open_failure(spec("127.0.0.1:" + std::to_string(redis_.port()))),
              "KV_REST_API_URL=127.0.0.1:" + std::to_string(redis_.port()) +
                  " is not an http:// or https:// URL");
}

//------------------------------------------------------------------------------
// An endpoint that is down, dies or hangs

TEST_F(kv_rest_store_test, an_endpoint_down_at_startup_is_not_fatal_and_used_once_up) {
    const auto port = testing::free_port();
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    auto s = open(spec(url));
    EXPECT_EQ(run(s->ping()).error(), store_errc::unavailable);
    EXPECT_EQ(run(s->get("s")).error(), store_errc::unavailable);
    EXPECT_EQ(run(s->put("s", "{}", 60s)).error(), store_errc::unavailable);

    testing::upstash_endpoint late(redis_, write_token, read_token, port);
    EXPECT_TRUE(run(s->ping()).has_value());
    EXPECT_EQ(run(s->put("s", "{}", 60s)).value(), 1u);
}

TEST_F(kv_rest_store_test, an_endpoint_that_dies_fails_requests_until_it_is_back) {
    auto s = open(spec());
    ASSERT_TRUE(run(s->put("s", R"({"a":1})", 60s)).has_value());
    endpoint_.stop();
    EXPECT_EQ(run(s->get("s")).error(), store_errc::unavailable);
    EXPECT_EQ(run(s->put("s", "{}", 60s)).error(), store_errc::unavailable);
    EXPECT_EQ(run(s->append_log("s", "1", 60s)).error(), store_errc::unavailable);
    EXPECT_EQ(run(s->get_log("s")).error(), store_errc::unavailable);
    EXPECT_EQ(run(s->ping()).error(), store_errc::unavailable);

    endpoint_.start();
    const auto got = run(s->get("s"));
    ASSERT_TRUE(got.has_value()) << got.error().message();
    EXPECT_EQ(got->json, R"({"a":1})");
    EXPECT_EQ(run(s->put("s", "{}", 60s)).value(), 2u);
}

TEST_F(kv_rest_store_test, an_endpoint_that_stops_answering_times_out) {
    open_options options;
    options.command_timeout = 300ms;
    auto s = open(spec(), options);
    ASSERT_TRUE(run(s->ping()).has_value());
    endpoint_.pause();
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(run(s->get("s")).error(), store_errc::timeout);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    endpoint_.resume();
    EXPECT_TRUE(run(s->ping()).has_value());
}

// Issue 11 item 2: the Redis store's bounded wait. Before, the queue had neither bound nor
// deadline: 1000 requests behind a hung endpoint took 1000 / 4 workers x 300 ms = 75 s.
TEST_F(kv_rest_store_test, a_backlog_behind_a_hung_endpoint_times_out_without_waiting_its_turn) {
    open_options options;
    options.command_timeout = 300ms;
    auto s = open(spec(), options);
    ASSERT_TRUE(run(s->ping()).has_value());
    endpoint_.pause();
    std::atomic<int> answered{0};
    std::atomic<int> timeouts{0};
    for (int i = 0; i < 1000; ++i) {
        net::co_spawn(
            ioc_,
            [&]() -> net::awaitable<void> {
                const auto r = co_await s->put("s", "{}", 60s);
                ++answered;
                if (!r && r.error() == store_errc::timeout) ++timeouts;
            },
            net::detached);
    }
    const auto asked = std::chrono::steady_clock::now();
    ioc_.restart();
    ioc_.run_for(5s);
    const auto waited = std::chrono::steady_clock::now() - asked;
    endpoint_.resume();
    EXPECT_EQ(answered.load(), 1000);
    EXPECT_EQ(timeouts.load(), 1000);
    // The requests sent time out after one command timeout; those queued behind them when their
    // wait reaches it, or when a worker comes back, which is the same moment.
    EXPECT_LT(waited, 1500ms);
}

TEST_F(kv_rest_store_test, a_closed_store_answers_unavailable) {
    auto s = open(spec());
    s->close();
    EXPECT_EQ(run(s->get("s")).error(), store_errc::unavailable);
    EXPECT_EQ(run(s->put("s", "{}", 60s)).error(), store_errc::unavailable);
}

}  // namespace
}  // namespace progressd::store
