// metrics::registry: its exposition parses strictly, and every observation moves exactly the
// series it should.
#include "metrics/registry.hpp"

#include "support/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace progressd::metrics {
namespace {

using namespace std::chrono_literals;
using testing::exposition;
using testing::metric_type;

// The registry's exposition, parsed; a parse error fails the test.
exposition scrape(const registry& metrics, const gauges& g = {}) {
    const std::string text = metrics.render(g);
    auto parsed = testing::parse_prometheus_text(text);
    if (const auto* error = std::get_if<testing::parse_error>(&parsed)) {
        ADD_FAILURE() << "invalid exposition, " << *error << "\n" << text;
        return {};
    }
    return std::get<exposition>(std::move(parsed));
}

constexpr std::string_view requests = "progressd_http_requests_total";
constexpr std::string_view duration = "progressd_http_request_duration_seconds";
constexpr std::string_view store_duration = "progressd_store_operation_duration_seconds";

std::string request_series(std::string_view route, std::string_view method,
                           std::string_view status) {
    return std::string(requests) + "{method=\"" + std::string(method) + "\",route=\"" +
           std::string(route) + "\",status=\"" + std::string(status) + "\"}";
}

std::string bucket(std::string_view family, std::string_view labels, std::string_view le) {
    return std::string(family) + "_bucket{" + std::string(labels) + ",le=\"" + std::string(le) +
           "\"}";
}

class registry_test : public ::testing::Test {
protected:
    manual_clock clock_;
    registry metrics_{"sqlite", clock_};
};

//------------------------------------------------------------------------------
// The exposition as a whole

TEST_F(registry_test, a_fresh_registry_renders_every_family_with_help_and_type) {
    const exposition e =
        scrape(metrics_, {.watchers = 0, .sessions_stored = 0, .open_connections = 0});
    for (const char* family :
         {"progressd_build_info", "progressd_uptime_seconds", "process_start_time_seconds",
          "progressd_watchers", "progressd_open_connections", "progressd_sessions_stored",
          "progressd_http_requests_total", "progressd_http_request_duration_seconds",
          "progressd_store_operation_duration_seconds", "progressd_store_errors_total",
          "progressd_rate_limited_total", "progressd_rejected_total",
          "progressd_sse_events_sent_total"}) {
        ASSERT_TRUE(e.families().contains(family)) << family;
        EXPECT_NE(e.families().at(family).type, metric_type::untyped) << family;
        EXPECT_FALSE(e.families().at(family).help.value_or("").empty()) << family;
    }
    EXPECT_EQ(e.families().size(), 13u);
    EXPECT_EQ(e.families().at(std::string(duration)).type, metric_type::histogram);
    EXPECT_EQ(e.families().at(std::string(requests)).type, metric_type::counter);
    EXPECT_EQ(e.families().at("progressd_watchers").type, metric_type::gauge);
}

TEST_F(registry_test, a_busy_registry_still_renders_a_valid_exposition) {
    for (const char* route : {"progress", "progress_log", "metrics", "asset"}) {
        for (const char* method : {"GET", "HEAD", "POST", "BREW"}) {
            for (unsigned status : {200u, 404u, 503u, 42u}) {
                metrics_.observe_request(route, method, status, 3ms);
            }
        }
    }
    for (const char* op : {"get", "put", "ping"}) metrics_.observe_store(op, 1ms, true);
    const exposition e =
        scrape(metrics_, {.watchers = 3, .sessions_stored = {}, .open_connections = 9});
    EXPECT_EQ(e.value(request_series("asset", "other", "other")), 1);
    EXPECT_EQ(e.value(R"(progressd_http_request_duration_seconds_count{route="metrics"})"), 16);
}

TEST_F(registry_test, build_info_names_the_version_and_the_store) {
    registry redis_metrics("kv-rest", clock_);
    const exposition e = scrape(redis_metrics);
    EXPECT_EQ(e.value(std::string(R"(progressd_build_info{store="kv-rest",version=")") +
                      PROGRESSD_VERSION + "\"}"),
              1);
}

TEST_F(registry_test, uptime_and_start_time_follow_the_clock) {
    const double started = static_cast<double>(to_unix_ms(clock_.now())) / 1000.0;
    clock_.advance(90s);
    const exposition e = scrape(metrics_);
    EXPECT_EQ(e.value("progressd_uptime_seconds"), 90);
    EXPECT_EQ(e.value("process_start_time_seconds"), started);
}

TEST_F(registry_test, gauges_are_what_the_caller_gives) {
    const exposition e =
        scrape(metrics_, {.watchers = 7, .sessions_stored = 123456789012, .open_connections = 4});
    EXPECT_EQ(e.value("progressd_watchers"), 7);
    EXPECT_EQ(e.value("progressd_open_connections"), 4);
    EXPECT_EQ(e.value("progressd_sessions_stored"), 123456789012.0);
}

TEST_F(registry_test, sessions_stored_is_left_out_when_the_store_cannot_count) {
    const exposition e =
        scrape(metrics_, {.watchers = 1, .sessions_stored = std::nullopt, .open_connections = 2});
    EXPECT_FALSE(e.families().contains("progressd_sessions_stored"));
    EXPECT_FALSE(e.find("progressd_sessions_stored").has_value());
}

TEST_F(registry_test, the_text_ends_with_a_newline) {
    const std::string text = metrics_.render({});
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
}

//------------------------------------------------------------------------------
// Requests

TEST_F(registry_test, requests_count_by_route_method_and_status) {
    metrics_.observe_request("progress", "GET", 200, 1ms);
    metrics_.observe_request("progress", "GET", 200, 1ms);
    metrics_.observe_request("progress", "POST", 400, 1ms);
    metrics_.observe_request("healthz", "GET", 200, 1ms);
    const exposition e = scrape(metrics_);
    EXPECT_EQ(e.value(request_series("progress", "GET", "200")), 2);
    EXPECT_EQ(e.value(request_series("progress", "POST", "400")), 1);
    EXPECT_EQ(e.value(request_series("healthz", "GET", "200")), 1);
    EXPECT_FALSE(e.find(request_series("progress", "POST", "200")).has_value());
    EXPECT_FALSE(e.find(request_series("healthz", "POST", "400")).has_value());
}

TEST_F(registry_test, latencies_fall_in_the_buckets_up_to_and_including_their_bound) {
    metrics_.observe_request("progress", "GET", 200, 400us);   // le 0.0005
    metrics_.observe_request("progress", "GET", 200, 500us);   // le 0.0005: the bound included
    metrics_.observe_request("progress", "GET", 200, 501us);   // le 0.001
    metrics_.observe_request("progress", "GET", 200, 3ms);     // le 0.005
    metrics_.observe_request("progress", "GET", 200, 2500ms);  // le 2.5
    metrics_.observe_request("progress", "GET", 200, 10s);     // +Inf only
    metrics_.observe_request("progress", "GET", 200, -5ms);    // a clock step: counts as 0
    const exposition e = scrape(metrics_);
    const std::string_view route = R"(route="progress")";
    const std::vector<std::pair<const char*, double>> expected{
        {"0.0005", 3}, {"0.001", 4}, {"0.0025", 4}, {"0.005", 5}, {"0.01", 5},
        {"0.025", 5},  {"0.05", 5},  {"0.1", 5},    {"0.25", 5},  {"0.5", 5},
        {"1", 5},      {"2.5", 6},   {"+Inf", 7}};
    for (const auto& [le, count] : expected) {
        EXPECT_EQ(e.value(bucket(duration, route, le)), count) << "le=" << le;
    }
    EXPECT_EQ(e.value(R"(progressd_http_request_duration_seconds_count{route="progress"})"), 7);
    EXPECT_DOUBLE_EQ(e.value(R"(progressd_http_request_duration_seconds_sum{route="progress"})"),
                     0.0004 + 0.0005 + 0.000501 + 0.003 + 2.5 + 10);
}

TEST_F(registry_test, each_route_has_its_own_histogram) {
    metrics_.observe_request("progress", "GET", 200, 1ms);
    metrics_.observe_request("metrics", "GET", 200, 1ms);
    metrics_.observe_request("metrics", "HEAD", 200, 1ms);
    const exposition e = scrape(metrics_);
    EXPECT_EQ(e.value(R"(progressd_http_request_duration_seconds_count{route="progress"})"), 1);
    EXPECT_EQ(e.value(R"(progressd_http_request_duration_seconds_count{route="metrics"})"), 2);
    // "other" exists from the start but is not shown until something counts there.
    EXPECT_FALSE(e.find(R"(progressd_http_request_duration_seconds_count{route="other"})"));
}

TEST_F(registry_test, unknown_methods_and_impossible_statuses_count_as_other) {
    metrics_.observe_request("progress", "get", 200, 1ms);
    metrics_.observe_request("progress", "X-ANYTHING", 200, 1ms);
    metrics_.observe_request("progress", "PATCH", 99, 1ms);
    metrics_.observe_request("progress", "PATCH", 600, 1ms);
    metrics_.observe_request("progress", "PATCH", 599, 1ms);
    metrics_.observe_request("progress", "PATCH", 100, 1ms);
    const exposition e = scrape(metrics_);
    EXPECT_EQ(e.value(request_series("progress", "other", "200")), 2);
    EXPECT_EQ(e.value(request_series("progress", "PATCH", "other")), 2);
    EXPECT_EQ(e.value(request_series("progress", "PATCH", "599")), 1);
    EXPECT_EQ(e.value(request_series("progress", "PATCH", "100")), 1);
}

TEST_F(registry_test, routes_past_the_capacity_count_as_other) {
    // Slot 0 is "other", so max_names - 1 routes fit.
    for (std::size_t i = 1; i < registry::max_names; ++i) {
        metrics_.observe_request("r" + std::to_string(i), "GET", 200, 1ms);
    }
    metrics_.observe_request("one_too_many", "GET", 200, 1ms);
    metrics_.observe_request("another", "GET", 200, 1ms);
    metrics_.observe_request("other", "GET", 200, 1ms);  // the name itself: no second series
    const exposition e = scrape(metrics_);
    EXPECT_EQ(e.value(request_series("r31", "GET", "200")), 1);
    EXPECT_FALSE(e.find(request_series("one_too_many", "GET", "200")));
    EXPECT_EQ(e.value(request_series("other", "GET", "200")), 3);
}

TEST_F(registry_test, label_values_are_escaped) {
    const std::string route = "a\"b\\c\nd";
    metrics_.observe_request(route, "GET", 200, 1ms);
    const std::string text = metrics_.render({});
    EXPECT_NE(text.find(R"(route="a\"b\\c\nd")"), std::string::npos) << text;
    const exposition e = scrape(metrics_);
    EXPECT_EQ(
        e.value(R"(progressd_http_requests_total{method="GET",route="a\"b\\c\nd",status="200"})"),
        1);
}

TEST_F(registry_test, the_store_label_is_escaped_too) {
    registry odd("x\"\\\ny", clock_);
    odd.observe_store("get", 1ms, false);
    const exposition e = scrape(odd);
    EXPECT_EQ(e.value(R"(progressd_store_errors_total{backend="x\"\\\ny",operation="get"})"), 0);
}

//------------------------------------------------------------------------------
// Store calls and plain counters

TEST_F(registry_test, store_calls_record_latency_and_failures_by_operation) {
    metrics_.observe_store("get", 50us, false);
    metrics_.observe_store("get", 300us, true);
    metrics_.observe_store("append_log", 3s, true);
    const exposition e = scrape(metrics_);
    const std::string_view get = R"(backend="sqlite",operation="get")";
    EXPECT_EQ(e.value(bucket(store_duration, get, "0.0001")), 1);
    EXPECT_EQ(e.value(bucket(store_duration, get, "0.00025")), 1);
    EXPECT_EQ(e.value(bucket(store_duration, get, "0.0005")), 2);
    EXPECT_EQ(e.value(bucket(store_duration, get, "+Inf")), 2);
    EXPECT_DOUBLE_EQ(e.value(std::string(store_duration) + "_sum{" + std::string(get) + "}"),
                     0.00035);
    EXPECT_EQ(e.value(R"(progressd_store_errors_total{backend="sqlite",operation="get"})"), 1);
    const std::string_view append = R"(backend="sqlite",operation="append_log")";
    EXPECT_EQ(e.value(bucket(store_duration, append, "2.5")), 0);
    EXPECT_EQ(e.value(bucket(store_duration, append, "+Inf")), 1);
    EXPECT_EQ(e.value(R"(progressd_store_errors_total{backend="sqlite",operation="append_log"})"),
              1);
    EXPECT_FALSE(e.find(R"(progressd_store_errors_total{backend="sqlite",operation="put"})"));
}

TEST_F(registry_test, an_operation_without_failures_shows_zero_errors) {
    metrics_.observe_store("ping", 10us, false);
    const exposition e = scrape(metrics_);
    EXPECT_EQ(e.value(R"(progressd_store_errors_total{backend="sqlite",operation="ping"})"), 0);
}

TEST_F(registry_test, rate_limits_rejections_and_events_count_from_zero) {
    exposition e = scrape(metrics_);
    EXPECT_EQ(e.value(R"(progressd_rate_limited_total{kind="read"})"), 0);
    EXPECT_EQ(e.value(R"(progressd_rate_limited_total{kind="write"})"), 0);
    for (const char* reason : {"unauthorized", "forbidden", "quota", "connections", "origin"}) {
        EXPECT_EQ(e.value(std::string(R"(progressd_rejected_total{reason=")") + reason + "\"}"), 0);
    }
    EXPECT_EQ(e.value("progressd_sse_events_sent_total"), 0);

    metrics_.count_rate_limited(rate_limit_kind::write);
    metrics_.count_rate_limited(rate_limit_kind::write);
    metrics_.count_rate_limited(rate_limit_kind::read);
    metrics_.count_rejected(rejection::unauthorized);
    metrics_.count_rejected(rejection::origin);
    metrics_.count_rejected(rejection::origin);
    metrics_.count_rejected(rejection::connections);
    metrics_.count_sse_events();
    metrics_.count_sse_events(41);
    e = scrape(metrics_);
    EXPECT_EQ(e.value(R"(progressd_rate_limited_total{kind="read"})"), 1);
    EXPECT_EQ(e.value(R"(progressd_rate_limited_total{kind="write"})"), 2);
    EXPECT_EQ(e.value(R"(progressd_rejected_total{reason="unauthorized"})"), 1);
    EXPECT_EQ(e.value(R"(progressd_rejected_total{reason="forbidden"})"), 0);
    EXPECT_EQ(e.value(R"(progressd_rejected_total{reason="quota"})"), 0);
    EXPECT_EQ(e.value(R"(progressd_rejected_total{reason="connections"})"), 1);
    EXPECT_EQ(e.value(R"(progressd_rejected_total{reason="origin"})"), 2);
    EXPECT_EQ(e.value("progressd_sse_events_sent_total"), 42);
}

//------------------------------------------------------------------------------
// Threads

// Several threads adding the same new names at once: each name gets one series, and no count
// is lost. (Run under TSan by the tsan preset.)
TEST_F(registry_test, concurrent_observations_lose_nothing_and_duplicate_nothing) {
    constexpr int threads = 4;
    constexpr int rounds = 20000;
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([this] {
            for (int i = 0; i < rounds; ++i) {
                const std::string route = "route" + std::to_string(i % 8);
                metrics_.observe_request(route, (i / 8) % 2 ? "GET" : "POST", 200, 1ms);
                metrics_.observe_store(i % 3 ? "get" : "put", 1ms, i % 5 == 0);
            }
        });
    }
    for (auto& w : workers) w.join();
    const exposition e = scrape(metrics_);
    double total = 0;
    for (int r = 0; r < 8; ++r) {
        const std::string route = "route" + std::to_string(r);
        const double get = e.value(request_series(route, "GET", "200"));
        const double post = e.value(request_series(route, "POST", "200"));
        EXPECT_EQ(get + post, threads * rounds / 8) << route;
        total += get + post;
    }
    EXPECT_EQ(total, threads * rounds);
    const double store_calls =
        e.value(
            R"(progressd_store_operation_duration_seconds_count{backend="sqlite",operation="get"})") +
        e.value(
            R"(progressd_store_operation_duration_seconds_count{backend="sqlite",operation="put"})");
    EXPECT_EQ(store_calls, threads * rounds);
    const double errors =
        e.value(R"(progressd_store_errors_total{backend="sqlite",operation="get"})") +
        e.value(R"(progressd_store_errors_total{backend="sqlite",operation="put"})");
    EXPECT_EQ(errors, threads * rounds / 5);
}

// A scrape while requests are counted still parses: a histogram's _count always equals its
// +Inf bucket, and buckets stay cumulative.
TEST_F(registry_test, a_scrape_during_observations_is_consistent) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> workers;
    workers.reserve(2);
    for (int t = 0; t < 2; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; !stop.load(); ++i) {
                metrics_.observe_request(t ? "progress" : "metrics", "GET", 200,
                                         std::chrono::microseconds(i % 3000));
            }
        });
    }
    for (int scrapes = 0; scrapes < 200; ++scrapes) {
        auto parsed = testing::parse_prometheus_text(metrics_.render({}));
        if (const auto* error = std::get_if<testing::parse_error>(&parsed)) {
            ADD_FAILURE() << *error;
            break;
        }
    }
    stop = true;
    for (auto& w : workers) w.join();
}

}  // namespace
}  // namespace progressd::metrics
