// store::instrumented_store: every call reaches the wrapped store unchanged, and is recorded in
// the metrics with the right operation name and failure verdict.
#include "store/instrumented_store.hpp"

#include "support/prometheus_text.hpp"
#include "support/run_sync.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <map>

namespace progressd::store {
namespace {

using namespace std::chrono_literals;
using testing::run_sync;
namespace net = boost::asio;

std::string series(std::string_view family, std::string_view operation,
                   std::string_view backend = "memory") {
    return std::string(family) + "{backend=\"" + std::string(backend) + "\",operation=\"" +
           std::string(operation) + "\"}";
}

// The number of recorded calls of `operation` and of its failures; nullopt when none recorded.
struct recorded {
    std::optional<double> calls;
    std::optional<double> failures;
    std::optional<double> seconds;  ///< the latencies summed
};

recorded recorded_for(const metrics::registry& metrics, std::string_view operation,
                      std::string_view backend = "memory") {
    auto parsed = testing::parse_prometheus_text(metrics.render({}));
    if (const auto* error = std::get_if<testing::parse_error>(&parsed)) {
        ADD_FAILURE() << *error;
        return {};
    }
    const auto& e = std::get<testing::exposition>(parsed);
    return {e.find(series("progressd_store_operation_duration_seconds_count", operation, backend)),
            e.find(series("progressd_store_errors_total", operation, backend)),
            e.find(series("progressd_store_operation_duration_seconds_sum", operation, backend))};
}

//------------------------------------------------------------------------------
// Over the real memory store

class instrumented_memory_store_test : public ::testing::Test {
protected:
    instrumented_memory_store_test() {
        store_spec memory;
        memory.backend = store_spec::kind::memory;
        open_options options;
        options.max_log_entries = 1;
        store_ =
            std::make_unique<instrumented_store>(open_store(memory, options, clock_), metrics_);
    }

    template <class T>
    T run(net::awaitable<T> work) {
        return run_sync(ioc_, std::move(work));
    }

    net::io_context ioc_;
    manual_clock clock_;
    metrics::registry metrics_{"memory", clock_};
    std::unique_ptr<instrumented_store> store_;
};

TEST_F(instrumented_memory_store_test, forwards_calls_and_their_answers) {
    EXPECT_EQ(run(store_->put("s1", R"({"a":1})", 1h)).value(), 1u);
    EXPECT_EQ(run(store_->get("s1")).value().json, R"({"a":1})");
    EXPECT_EQ(run(store_->put_if("s1", R"({"a":2})", 1h, 1)).value(), 2u);
    EXPECT_EQ(run(store_->append_log("s1", R"({"e":1})", 1h)).value(), 1u);
    EXPECT_EQ(run(store_->get_log("s1")).value(), R"([{"e":1}])");
    const auto states = run(store_->snapshot({"s1", "s2"})).value();
    ASSERT_EQ(states.size(), 2u);
    EXPECT_EQ(states[0].progress->version, 2u);
    EXPECT_EQ(states[0].log_entries, 1u);
    EXPECT_FALSE(states[1].progress.has_value());
    EXPECT_EQ(run(store_->claim_write_key("s1", "digest-a", 1h)).value(), "digest-a");
    EXPECT_EQ(run(store_->claim_write_key("s1", "digest-b", 1h)).value(), "digest-a");
    EXPECT_EQ(run(store_->count()).value(), 1u);
    const auto page = run(store_->list("", 10)).value();
    ASSERT_EQ(page.sessions.size(), 1u);
    EXPECT_EQ(page.sessions[0].session_id, "s1");
    EXPECT_TRUE(run(store_->remove("s1")).value());
    EXPECT_TRUE(run(store_->ping()).has_value());
    EXPECT_EQ(run(store_->get("s1")).error(), store_errc::not_found);
}

TEST_F(instrumented_memory_store_test, records_each_operation_under_its_name) {
    (void)run(store_->put("s1", "{}", 1h));
    (void)run(store_->put("s2", "{}", 1h));
    (void)run(store_->get("s1"));
    (void)run(store_->put_if("s1", "{}", 1h, 1));
    (void)run(store_->append_log("s1", "{}", 1h));
    (void)run(store_->get_log("s1"));
    (void)run(store_->snapshot({"s1"}));
    (void)run(store_->list("", 10));
    (void)run(store_->remove("s2"));
    (void)run(store_->count());
    (void)run(store_->claim_write_key("s1", "d", 1h));
    (void)run(store_->ping());
    EXPECT_EQ(recorded_for(metrics_, "put").calls, 2);
    for (const char* op : {"get", "put_if", "append_log", "get_log", "snapshot", "list", "remove",
                           "count", "claim_write_key", "ping"}) {
        const auto r = recorded_for(metrics_, op);
        EXPECT_EQ(r.calls, 1) << op;
        EXPECT_EQ(r.failures, 0) << op;
        // A call takes some time, never a whole second in memory.
        EXPECT_GT(r.seconds.value_or(0), 0) << op;
        EXPECT_LT(r.seconds.value_or(1), 1) << op;
    }
}

TEST_F(instrumented_memory_store_test, not_found_and_conflict_are_answers_not_failures) {
    EXPECT_EQ(run(store_->get("absent")).error(), store_errc::not_found);
    (void)run(store_->put("s1", "{}", 1h));
    EXPECT_EQ(run(store_->put_if("s1", "{}", 1h, 7)).error(), store_errc::conflict);
    EXPECT_EQ(recorded_for(metrics_, "get").calls, 1);
    EXPECT_EQ(recorded_for(metrics_, "get").failures, 0);
    EXPECT_EQ(recorded_for(metrics_, "put_if").calls, 1);
    EXPECT_EQ(recorded_for(metrics_, "put_if").failures, 0);
}

TEST_F(instrumented_memory_store_test, a_full_log_is_a_failure) {
    EXPECT_TRUE(run(store_->append_log("s1", "{}", 1h)).has_value());
    EXPECT_EQ(run(store_->append_log("s1", "{}", 1h)).error(), store_errc::log_full);
    EXPECT_EQ(recorded_for(metrics_, "append_log").calls, 2);
    EXPECT_EQ(recorded_for(metrics_, "append_log").failures, 1);
}

//------------------------------------------------------------------------------
// Over a store that answers whatever error the test sets

class failing_store final : public store {
public:
    explicit failing_store(store_errc answer) : answer_(answer) {}

    net::awaitable<result<stored_progress>> get(std::string) override { co_return answer_; }
    net::awaitable<result<std::uint64_t>> put(std::string, std::string,
                                              std::chrono::seconds) override {
        co_return answer_;
    }
    net::awaitable<result<std::uint64_t>> put_if(std::string, std::string, std::chrono::seconds,
                                                 std::optional<std::uint64_t>) override {
        co_return answer_;
    }
    net::awaitable<result<std::uint64_t>> append_log(std::string, std::string,
                                                     std::chrono::seconds) override {
        co_return answer_;
    }
    net::awaitable<result<std::string>> get_log(std::string) override { co_return answer_; }
    net::awaitable<result<std::vector<watch_state>>> snapshot(std::vector<std::string>) override {
        co_return answer_;
    }
    net::awaitable<result<session_page>> list(std::string, std::size_t) override {
        co_return answer_;
    }
    net::awaitable<result<bool>> remove(std::string) override { co_return answer_; }
    net::awaitable<result<std::uint64_t>> count() override { co_return answer_; }
    net::awaitable<result<std::string>> claim_write_key(std::string, std::string,
                                                        std::chrono::seconds) override {
        co_return answer_;
    }
    net::awaitable<result<void>> ping() override { co_return answer_; }
    void close() override { closed = true; }

    bool closed = false;

private:
    store_errc answer_;
};

// Calls every operation once on an instrumented failing_store answering `answer`.
void call_everything(metrics::registry& metrics, store_errc answer) {
    instrumented_store s(std::make_unique<failing_store>(answer), metrics);
    net::io_context ioc;
    EXPECT_EQ(run_sync(ioc, s.get("a")).error(), answer);
    (void)run_sync(ioc, s.put("a", "{}", 1h));
    (void)run_sync(ioc, s.put_if("a", "{}", 1h, std::nullopt));
    (void)run_sync(ioc, s.append_log("a", "{}", 1h));
    (void)run_sync(ioc, s.get_log("a"));
    (void)run_sync(ioc, s.snapshot({"a"}));
    (void)run_sync(ioc, s.list("", 1));
    (void)run_sync(ioc, s.remove("a"));
    (void)run_sync(ioc, s.count());
    (void)run_sync(ioc, s.claim_write_key("a", "d", 1h));
    EXPECT_EQ(run_sync(ioc, s.ping()).error(), answer);
}

constexpr std::array<const char*, 11> all_operations{
    "get",  "put",    "put_if", "append_log",      "get_log", "snapshot",
    "list", "remove", "count",  "claim_write_key", "ping"};

TEST(instrumented_store_test, the_store_failing_counts_as_a_failure_in_every_operation) {
    for (store_errc failure : {store_errc::unavailable, store_errc::timeout, store_errc::io_error,
                               store_errc::storage_full, store_errc::log_full}) {
        manual_clock clock;
        metrics::registry metrics("redis", clock);
        call_everything(metrics, failure);
        for (const char* op : all_operations) {
            const auto r = recorded_for(metrics, op, "redis");
            EXPECT_EQ(r.calls, 1) << op << " " << make_error_code(failure).message();
            EXPECT_EQ(r.failures, 1) << op << " " << make_error_code(failure).message();
        }
    }
}

TEST(instrumented_store_test, not_found_and_conflict_count_as_calls_without_failure) {
    for (store_errc answer : {store_errc::not_found, store_errc::conflict}) {
        manual_clock clock;
        metrics::registry metrics("redis", clock);
        call_everything(metrics, answer);
        for (const char* op : all_operations) {
            const auto r = recorded_for(metrics, op, "redis");
            EXPECT_EQ(r.calls, 1) << op;
            EXPECT_EQ(r.failures, 0) << op;
        }
    }
}

TEST(instrumented_store_test, unsupported_is_not_recorded_at_all) {
    manual_clock clock;
    metrics::registry metrics("redis", clock);
    call_everything(metrics, store_errc::unsupported);
    for (const char* op : all_operations) {
        const auto r = recorded_for(metrics, op, "redis");
        EXPECT_FALSE(r.calls.has_value()) << op;
        EXPECT_FALSE(r.failures.has_value()) << op;
    }
}

TEST(instrumented_store_test, close_is_forwarded) {
    manual_clock clock;
    metrics::registry metrics("memory", clock);
    auto inner = std::make_unique<failing_store>(store_errc::unavailable);
    failing_store& seen = *inner;
    instrumented_store s(std::move(inner), metrics);
    s.close();
    EXPECT_TRUE(seen.closed);
    EXPECT_EQ(&s.inner(), &seen);
}

TEST(instrumented_store_test, classifies_errors) {
    EXPECT_FALSE(is_store_failure({}));
    EXPECT_FALSE(is_store_failure(store_errc::not_found));
    EXPECT_FALSE(is_store_failure(store_errc::conflict));
    EXPECT_FALSE(is_store_failure(store_errc::unsupported));
    EXPECT_TRUE(is_store_failure(store_errc::timeout));
    EXPECT_TRUE(is_store_failure(make_error_code(boost::system::errc::connection_refused)));
}

TEST(instrumented_store_test, names_each_backend_as_the_metrics_label) {
    EXPECT_EQ(backend_label(store_spec::kind::memory), "memory");
    EXPECT_EQ(backend_label(store_spec::kind::sqlite), "sqlite");
    EXPECT_EQ(backend_label(store_spec::kind::redis), "redis");
    EXPECT_EQ(backend_label(store_spec::kind::kv_rest), "kv-rest");
}

}  // namespace
}  // namespace progressd::store
