// The contract of store::store (src/store/store.hpp), run against every backend. A backend is
// added by giving it a factory below.
#include "store/kv_rest_store.hpp"
#include "store/memory_store.hpp"
#include "store/redis_store.hpp"
#include "store/sqlite_store.hpp"
#include "support/redis_server.hpp"
#include "support/run_sync.hpp"
#include "support/server_process.hpp"
#include "support/upstash_endpoint.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <numeric>
#include <set>
#include <thread>

namespace progressd::store {
namespace {

using namespace std::chrono_literals;
using testing::run_sync;
namespace net = boost::asio;

// A backend whose expiry is the server's own (Redis EX) cannot follow the manual clock; it
// declares native_expiry and makes the same time pass for its server in advance_server_time.
struct memory_backend {
    static constexpr bool native_expiry = false;
    static std::unique_ptr<store> open(const clock& c, const std::string&) {
        return std::make_unique<memory_store>(c);
    }
};

struct sqlite_backend {
    static constexpr bool native_expiry = false;
    static std::unique_ptr<store> open(const clock& c, const std::string& dir) {
        return std::make_unique<sqlite_store>(sqlite_options{dir + "/contract.db"}, c);
    }
};

// The backends on Redis share one redis-server for the whole test binary (each test starts on
// an empty database); their expiry is Redis's, so time passes there by shifting the TTLs.
struct on_shared_redis {
    static constexpr bool native_expiry = true;
    static testing::redis_server& redis() {
        static testing::redis_server server;
        return server;
    }
    static void advance_server_time(std::chrono::seconds by) {
        testing::advance_redis_time(redis(), by);
    }
};

// The Upstash REST store through tests/upstash-rest/server.mjs (one endpoint for the binary:
// Node takes a while to start).
struct kv_rest_backend : on_shared_redis {
    static std::unique_ptr<store> open(const clock& c, const std::string&) {
        static testing::upstash_endpoint endpoint(redis(), "contract-token",
                                                  "contract-read-token");
        redis().cli({"FLUSHALL"});
        return make_kv_rest_store(
            {store_spec::kind::kv_rest, endpoint.url(), "contract-token", "contract-read-token"},
            open_options{}, c);
    }
};

// Redis itself, through the redis:// store.
struct redis_backend : on_shared_redis {
    static std::unique_ptr<store> open(const clock& c, const std::string&) {
        redis().cli({"FLUSHALL"});
        return make_redis_store(redis().url(), open_options{}, c);
    }
};

template <class Backend>
class store_contract_test : public ::testing::Test {
protected:
    store_contract_test() : store_(Backend::open(clock_, dir_.path())) {}
    ~store_contract_test() override { store_->close(); }

    result<stored_progress> get(const std::string& id) { return run_sync(ioc_, store_->get(id)); }
    result<std::uint64_t> put(const std::string& id, const std::string& json,
                              std::chrono::seconds ttl = 60s) {
        return run_sync(ioc_, store_->put(id, json, ttl));
    }
    result<std::uint64_t> append(const std::string& id, const std::string& json,
                                 std::chrono::seconds ttl = 60s) {
        return run_sync(ioc_, store_->append_log(id, json, ttl));
    }
    // The log's JSON array text.
    std::string log(const std::string& id) {
        auto entries = run_sync(ioc_, store_->get_log(id));
        EXPECT_TRUE(entries.has_value());
        return entries.has_value() ? *entries : std::string("failed");
    }
    // Lets `by` pass for the store: on the manual clock, and on the server's own clock.
    void advance(std::chrono::seconds by) {
        clock_.advance(by);
        if constexpr (Backend::native_expiry) Backend::advance_server_time(by);
    }
    std::size_t log_size(const std::string& id) {
        return boost::json::parse(log(id)).as_array().size();
    }

    testing::temp_dir dir_;
    manual_clock clock_;
    net::io_context ioc_;
    std::unique_ptr<store> store_;
};

using backends =
    ::testing::Types<memory_backend, sqlite_backend, kv_rest_backend, redis_backend>;
TYPED_TEST_SUITE(store_contract_test, backends);

TYPED_TEST(store_contract_test, get_of_an_unknown_session_is_not_found) {
    const auto r = this->get("nobody");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), store_errc::not_found);
}

TYPED_TEST(store_contract_test, put_then_get_returns_the_same_bytes_and_a_growing_version) {
    const auto v1 = this->put("s1", R"({"a":1})");
    ASSERT_TRUE(v1.has_value());
    const auto v2 = this->put("s1", R"({"a":2,"text":"\u00e9 é"})");
    ASSERT_TRUE(v2.has_value());
    EXPECT_GT(*v2, *v1);
    const auto r = this->get("s1");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->json, R"({"a":2,"text":"\u00e9 é"})");
    EXPECT_EQ(r->version, *v2);
    EXPECT_FALSE(this->get("s2").has_value());
}

TYPED_TEST(store_contract_test, progress_expires_after_its_ttl_and_each_put_refreshes_it) {
    ASSERT_TRUE(this->put("s", "{}", 10s));
    this->advance(9s);
    ASSERT_TRUE(this->get("s").has_value());
    ASSERT_TRUE(this->put("s", "{}", 10s));  // refreshed: lives until 19 s
    this->advance(9s);
    EXPECT_TRUE(this->get("s").has_value());
    this->advance(1s);
    const auto r = this->get("s");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), store_errc::not_found);
}

TYPED_TEST(store_contract_test, put_if_writes_only_over_the_version_it_expects) {
    auto conditional = [this](const std::string& json, std::optional<std::uint64_t> expected) {
        return run_sync(this->ioc_, this->store_->put_if("s", json, 60s, expected));
    };
    // Absent: only "expect absent" may create it.
    EXPECT_EQ(conditional("{\"n\":0}", 7).error(), store_errc::conflict);
    const auto v1 = conditional("{\"n\":1}", std::nullopt);
    ASSERT_TRUE(v1.has_value());
    EXPECT_EQ(conditional("{\"n\":9}", std::nullopt).error(), store_errc::conflict);
    // Present: only the current version matches, and nothing is written otherwise.
    const auto v2 = conditional("{\"n\":2}", *v1);
    ASSERT_TRUE(v2.has_value());
    EXPECT_EQ(conditional("{\"n\":9}", *v1).error(), store_errc::conflict);
    EXPECT_EQ(this->get("s")->json, "{\"n\":2}");
    EXPECT_EQ(this->get("s")->version, *v2);
    // An expired session counts as absent.
    this->advance(61s);
    EXPECT_EQ(conditional("{\"n\":9}", *v2).error(), store_errc::conflict);
    EXPECT_TRUE(conditional("{\"n\":3}", std::nullopt).has_value());
}

TYPED_TEST(store_contract_test, concurrent_read_modify_writes_with_put_if_lose_nothing) {
    // Each of 50 writers adds its number to a JSON array, retrying on conflict, as PATCH does.
    ASSERT_TRUE(this->put("rmw", "[]"));
    this->ioc_.restart();  // run_sync above ran the io_context out of work
    constexpr int writers = 50;
    std::atomic<int> done{0};
    for (int i = 0; i < writers; ++i) {
        net::co_spawn(
            this->ioc_,
            [&, i]() -> net::awaitable<void> {
                for (;;) {
                    auto current = co_await this->store_->get("rmw");
                    if (!current) co_return;
                    auto array = boost::json::parse(current->json).as_array();
                    array.push_back(i);
                    auto written = co_await this->store_->put_if(
                        "rmw", boost::json::serialize(array), 60s, current->version);
                    if (written) break;
                    if (written.error() != store_errc::conflict) co_return;
                }
                ++done;
            },
            net::detached);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) threads.emplace_back([this] { this->ioc_.run(); });
    for (auto& t : threads) t.join();
    EXPECT_EQ(done.load(), writers);
    EXPECT_EQ(boost::json::parse(this->get("rmw")->json).as_array().size(),
              static_cast<std::size_t>(writers));
}

TYPED_TEST(store_contract_test, log_appends_count_up_and_read_back_in_order) {
    EXPECT_EQ(this->log("s"), "[]");
    EXPECT_EQ(*this->append("s", R"({"n":1,"text":"\u00e9 é"})"), 1u);
    EXPECT_EQ(*this->append("s", R"({"n":2})"), 2u);
    EXPECT_EQ(*this->append("other", R"({"n":9})"), 1u);
    EXPECT_EQ(this->log("s"), R"([{"n":1,"text":"\u00e9 é"},{"n":2}])");
}

TYPED_TEST(store_contract_test, an_expired_log_reads_empty_and_starts_again_from_one) {
    ASSERT_TRUE(this->append("s", "1", 10s));
    ASSERT_TRUE(this->append("s", "2", 10s));
    this->advance(10s);
    EXPECT_EQ(this->log("s"), "[]");
    EXPECT_EQ(*this->append("s", "3", 10s), 1u);
    EXPECT_EQ(this->log("s"), "[3]");
}

TYPED_TEST(store_contract_test, log_and_progress_expire_independently) {
    ASSERT_TRUE(this->put("s", "{}", 10s));
    ASSERT_TRUE(this->append("s", R"("e")", 20s));
    this->advance(15s);
    EXPECT_FALSE(this->get("s").has_value());
    EXPECT_EQ(this->log("s"), R"(["e"])");
}

TYPED_TEST(store_contract_test, concurrent_appends_from_many_threads_are_all_kept) {
    constexpr int appends = 200;
    std::vector<std::uint64_t> counts;
    std::mutex counts_mutex;
    for (int i = 0; i < appends; ++i) {
        net::co_spawn(
            this->ioc_,
            [&, i]() -> net::awaitable<void> {
                auto n = co_await this->store_->append_log("race", std::to_string(i), 60s);
                const std::lock_guard lock(counts_mutex);
                counts.push_back(n.has_value() ? *n : 0);
            },
            net::detached);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([this] { this->ioc_.run(); });
    for (auto& t : threads) t.join();

    std::sort(counts.begin(), counts.end());
    std::vector<std::uint64_t> expected(appends);
    std::iota(expected.begin(), expected.end(), 1);
    EXPECT_EQ(counts, expected);
    EXPECT_EQ(this->log_size("race"), static_cast<std::size_t>(appends));
}

TYPED_TEST(store_contract_test, concurrent_puts_to_many_sessions_are_all_stored) {
    constexpr int sessions = 300;
    std::atomic<int> acknowledged{0};
    for (int i = 0; i < sessions; ++i) {
        net::co_spawn(
            this->ioc_,
            [&, i]() -> net::awaitable<void> {
                auto v =
                    co_await this->store_->put("s" + std::to_string(i), std::to_string(i), 60s);
                if (v) ++acknowledged;
            },
            net::detached);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) threads.emplace_back([this] { this->ioc_.run(); });
    for (auto& t : threads) t.join();
    EXPECT_EQ(acknowledged.load(), sessions);
    for (int i = 0; i < sessions; ++i) {
        const auto r = this->get("s" + std::to_string(i));
        ASSERT_TRUE(r.has_value()) << i;
        EXPECT_EQ(r->json, std::to_string(i));
    }
}

TYPED_TEST(store_contract_test, ping_succeeds_on_a_working_store) {
    EXPECT_TRUE(run_sync(this->ioc_, this->store_->ping()).has_value());
}

}  // namespace
}  // namespace progressd::store
