// The process's metrics and their Prometheus text exposition (format 0.0.4) for GET /metrics.
//
// DESIGN: observations come from every I/O thread at once and sit on the request path, so they
// are relaxed atomic increments on counters found without a lock or an allocation. A label set
// is created on its first observation, under a mutex, and never moves or disappears afterwards;
// readers find it through pointers published with release/acquire. render() reads the counters
// while they move: each line is a value the counter really had, and a histogram's _count is
// summed from its own buckets so that the +Inf bucket always equals it.
#pragma once

#include "util/clock.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::metrics {

/// Why a request was turned away before it reached the store (progressd_rejected_total{reason}).
enum class rejection { unauthorized, forbidden, quota, connections, origin };
inline constexpr std::size_t rejection_count = 5;

/// Which budget a rate-limited request exceeded (progressd_rate_limited_total{kind}).
enum class rate_limit_kind { read, write };

/// What only the caller knows at scrape time.
struct gauges {
    std::size_t watchers = 0;                      ///< live event streams
    std::optional<std::uint64_t> sessions_stored;  ///< omitted when the store cannot count
    std::size_t open_connections = 0;
};

/// A latency histogram with fixed upper bounds, in nanoseconds, ending with +Inf.
template <std::size_t Bounds>
struct histogram {
    std::array<std::atomic<std::uint64_t>, Bounds + 1> buckets{};  ///< not cumulative; +Inf last
    std::atomic<std::uint64_t> sum_ns{0};

    void observe(const std::array<std::uint64_t, Bounds>& bounds_ns, std::uint64_t ns) noexcept {
        std::size_t i = 0;
        while (i < Bounds && ns > bounds_ns[i]) ++i;
        buckets[i].fetch_add(1, std::memory_order_relaxed);
        sum_ns.fetch_add(ns, std::memory_order_relaxed);
    }
};

/// The HTTP request latency buckets: 0.5 ms … 2.5 s.
inline constexpr std::size_t request_bounds = 12;
/// The store call latency buckets: 0.1 ms … 2.5 s (an in-memory call takes microseconds).
inline constexpr std::size_t store_bounds = 14;

/// One per process, passed by reference to whoever observes.
///
/// Example:
///   metrics::registry metrics("sqlite", clock);
///   metrics.observe_request("progress", "GET", 200, std::chrono::microseconds(40));
///   std::string body = metrics.render({hub.size(), store_count, connections});
class registry {
public:
    /// `store_backend` labels the store metrics and build_info ("sqlite", "memory", "redis",
    /// "kv-rest"); `clock` gives the process start time and the uptime.
    registry(std::string store_backend, const clock& clock);
    ~registry();
    registry(const registry&) = delete;
    registry& operator=(const registry&) = delete;

    /// Counts one answered request in progressd_http_requests_total{route,method,status} and its
    /// latency in progressd_http_request_duration_seconds{route}. `route` names the handler from
    /// a small fixed set ("progress", "metrics", "unmatched", …); past max_names distinct routes
    /// the rest count as "other". A method outside the standard ones counts as "other" (it comes
    /// from the client), and so does a status outside 100–599.
    void observe_request(std::string_view route, std::string_view method, unsigned status,
                         std::chrono::nanoseconds latency) noexcept;

    /// Records one store call: its latency in progressd_store_operation_duration_seconds and,
    /// when `failed`, one more progressd_store_errors_total, both labelled {backend,operation}.
    void observe_store(std::string_view operation, std::chrono::nanoseconds latency,
                       bool failed) noexcept;

    void count_rate_limited(rate_limit_kind kind) noexcept;
    void count_rejected(rejection reason) noexcept;
    void count_sse_events(std::uint64_t events = 1) noexcept;

    /// The whole exposition, every family with # HELP and # TYPE, ending with a newline.
    std::string render(const gauges& g) const;

    /// Distinct routes (and store operations) kept apart, "other" included.
    static constexpr std::size_t max_names = 32;

private:
    static constexpr std::size_t method_count = 10;   // the 9 of RFC 9110 + "other"
    static constexpr std::size_t status_slots = 501;  // 100–599 + "other"
    struct status_counts {
        std::array<std::atomic<std::uint64_t>, status_slots> by_status{};
    };
    // alignas: two routes busy on two threads do not share a cache line.
    struct alignas(64) route_slot {
        std::string name;
        histogram<request_bounds> latency;
        std::array<std::atomic<status_counts*>, method_count> by_method{};
    };
    struct alignas(64) operation_slot {
        std::string name;
        histogram<store_bounds> latency;
        std::atomic<std::uint64_t> errors{0};
    };
    /// Names seen so far; slot 0 is "other", where names past the capacity go.
    template <class Slot>
    struct name_table {
        std::array<Slot, max_names> slots;
        std::atomic<std::size_t> size{0};
    };

    template <class Slot>
    Slot& find_or_add(name_table<Slot>& table, std::string_view name) noexcept;
    status_counts& counts_for(route_slot& route, std::size_t method) noexcept;

    void render_requests(std::string& out) const;
    void render_store(std::string& out) const;
    void render_counters(std::string& out) const;
    void render_gauges(std::string& out, const gauges& g) const;

    const std::string backend_;
    const clock& clock_;
    const wall_time started_;

    std::mutex add_mutex_;  // only to add a name or a status_counts block
    std::vector<std::unique_ptr<status_counts>> owned_counts_;
    name_table<route_slot> routes_;
    name_table<operation_slot> operations_;

    std::array<std::atomic<std::uint64_t>, 2> rate_limited_{};
    std::array<std::atomic<std::uint64_t>, rejection_count> rejected_{};
    std::atomic<std::uint64_t> sse_events_{0};
};

/// `value` escaped for a label value between double quotes: \ " and newline get a backslash.
void append_label_value(std::string& out, std::string_view value);

}  // namespace progressd::metrics
