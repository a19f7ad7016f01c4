// The cost of the metrics on the request path (observe_request, observe_store) and of a scrape
// (render) with a realistic number of series. Run: build/<dir>/progressd_metrics_bench
#include "metrics/registry.hpp"

#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string_view>

// Counts every allocation in the process, so that the benchmarks can show the observing path
// makes none once a label set exists.
namespace {
std::atomic<std::size_t> allocations{0};
}
// noinline: inlined into a caller, GCC pairs the free() with a `new` and warns of a mismatch.
[[gnu::noinline]] void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace progressd::metrics {
namespace {

using namespace std::chrono_literals;

// Reports the allocations per iteration since `before` as the counter "allocs".
void report_allocations(benchmark::State& state, std::size_t before) {
    const auto made = allocations.load(std::memory_order_relaxed) - before;
    state.counters["allocs"] =
        benchmark::Counter(static_cast<double>(made), benchmark::Counter::kAvgIterations);
}

constexpr std::array<std::string_view, 12> routes{
    "progress", "progress_log", "progress_events", "admin_sessions", "admin_stats", "metrics",
    "healthz",  "readyz",       "start_page",      "live_page",      "asset",       "unmatched"};

// The hot case: a label set seen before. Every thread shares one registry, as the I/O threads do.
void observe_request_same_series(benchmark::State& state) {
    static system_clock clock;
    static registry metrics("sqlite", clock);
    metrics.observe_request("progress", "GET", 200, 40us);
    const auto before = allocations.load();
    for (auto _ : state) metrics.observe_request("progress", "GET", 200, 40us);
    if (state.thread_index() == 0) report_allocations(state, before);
}
BENCHMARK(observe_request_same_series)->Threads(1)->Threads(2);

// Routes late in the name table, methods late in the list: the longest lookups.
void observe_request_mixed_series(benchmark::State& state) {
    system_clock clock;
    registry metrics("sqlite", clock);
    std::size_t i = 0;
    const auto before = allocations.load();
    for (auto _ : state) {
        metrics.observe_request(routes[i % routes.size()], i % 2 ? "PATCH" : "OPTIONS",
                                i % 3 ? 200 : 404, std::chrono::nanoseconds(i * 997 % 3'000'000));
        ++i;
    }
    report_allocations(state, before);  // the first few create the 48 label sets
}
BENCHMARK(observe_request_mixed_series);

void observe_store(benchmark::State& state) {
    system_clock clock;
    registry metrics("sqlite", clock);
    metrics.observe_store("append_log", 120us, false);
    const auto before = allocations.load();
    for (auto _ : state) metrics.observe_store("append_log", 120us, false);
    report_allocations(state, before);
}
BENCHMARK(observe_store);

// A scrape of a busy server: 12 routes x 5 methods x 5 statuses = 300 request series, plus the
// route and store histograms.
void render(benchmark::State& state) {
    system_clock clock;
    registry metrics("sqlite", clock);
    constexpr std::array<std::string_view, 5> methods{"GET", "HEAD", "POST", "PATCH", "OPTIONS"};
    constexpr std::array<unsigned, 5> statuses{200, 304, 400, 404, 503};
    for (auto route : routes) {
        for (auto method : methods) {
            for (auto status : statuses) metrics.observe_request(route, method, status, 1ms);
        }
    }
    for (auto op : {"get", "put", "put_if", "append_log", "get_log", "snapshot", "ping"}) {
        metrics.observe_store(op, 300us, false);
    }
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto text =
            metrics.render({.watchers = 10, .sessions_stored = 1000, .open_connections = 3});
        bytes = text.size();
        benchmark::DoNotOptimize(text);
    }
    state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(render)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace progressd::metrics
