#include "metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <utility>

namespace progressd::metrics {
namespace {

constexpr std::array<std::uint64_t, request_bounds> request_bounds_ns{
    500'000,    1'000'000,   2'500'000,   5'000'000,   10'000'000,    25'000'000,
    50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000};
constexpr std::array<std::string_view, request_bounds + 1> request_le{
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
    "0.1",    "0.25",  "0.5",    "1",     "2.5",  "+Inf"};

constexpr std::array<std::uint64_t, store_bounds> store_bounds_ns{
    100'000,    250'000,    500'000,     1'000'000,   2'500'000,   5'000'000,     10'000'000,
    25'000'000, 50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000};
constexpr std::array<std::string_view, store_bounds + 1> store_le{
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "+Inf"};

// RFC 9110's methods; anything else a client sends counts as "other", so that a client cannot
// create series at will.
constexpr std::array<std::string_view, 9> known_methods{
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"};
constexpr std::string_view other = "other";

constexpr std::array<std::string_view, 2> rate_limit_kinds{"read", "write"};
constexpr std::array<std::string_view, rejection_count> rejection_reasons{
    "unauthorized", "forbidden", "quota", "connections", "origin"};
static_assert(static_cast<std::size_t>(rejection::origin) + 1 == rejection_count,
              "a new rejection needs its label here");

constexpr std::uint64_t to_ns(std::chrono::nanoseconds latency) noexcept {
    return latency.count() > 0 ? static_cast<std::uint64_t>(latency.count()) : 0;
}

std::size_t method_index(std::string_view method) noexcept {
    for (std::size_t i = 0; i < known_methods.size(); ++i) {
        if (known_methods[i] == method) return i;
    }
    return known_methods.size();
}

//------------------------------------------------------------------------------
// Text output

using label = std::pair<std::string_view, std::string_view>;

void append_number(std::string& out, std::uint64_t value) {
    std::array<char, 24> buffer{};
    const auto end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value).ptr;
    out.append(buffer.data(), end);
}

// Shortest round-trip form, e.g. 0.0123 or 1.7e-05: both are floats to the format.
void append_number(std::string& out, double value) {
    std::array<char, 32> buffer{};
    const auto end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value).ptr;
    out.append(buffer.data(), end);
}

void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

// `name{a="x",b="y"} ` up to the value, which the caller appends with a newline.
void append_series(std::string& out, std::string_view name, std::initializer_list<label> labels) {
    out += name;
    if (labels.size() != 0) {
        char separator = '{';
        for (const auto& [key, value] : labels) {
            out += separator;
            out += key;
            out += "=\"";
            append_label_value(out, value);
            out += '"';
            separator = ',';
        }
        out += '}';
    }
    out += ' ';
}

template <class Value>
void append_sample(std::string& out, std::string_view name, std::initializer_list<label> labels,
                   Value value) {
    append_series(out, name, labels);
    append_number(out, value);
    out += '\n';
}

// The _bucket, _sum and _count lines of one histogram series. `labels` come before le.
template <std::size_t Bounds>
void append_histogram(std::string& out, std::string_view name, const histogram<Bounds>& h,
                      const std::array<std::string_view, Bounds + 1>& le, label first,
                      std::optional<label> second = std::nullopt) {
    const std::string bucket_name = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= Bounds; ++i) {
        cumulative += h.buckets[i].load(std::memory_order_relaxed);
        if (second) {
            append_sample(out, bucket_name, {first, *second, {"le", le[i]}}, cumulative);
        } else {
            append_sample(out, bucket_name, {first, {"le", le[i]}}, cumulative);
        }
    }
    const double sum = static_cast<double>(h.sum_ns.load(std::memory_order_relaxed)) / 1e9;
    const std::string sum_name = std::string(name) + "_sum";
    const std::string count_name = std::string(name) + "_count";
    if (second) {
        append_sample(out, sum_name, {first, *second}, sum);
        append_sample(out, count_name, {first, *second}, cumulative);
    } else {
        append_sample(out, sum_name, {first}, sum);
        append_sample(out, count_name, {first}, cumulative);
    }
}

template <std::size_t Bounds>
std::uint64_t total(const histogram<Bounds>& h) noexcept {
    std::uint64_t n = 0;
    for (const auto& bucket : h.buckets) n += bucket.load(std::memory_order_relaxed);
    return n;
}

}  // namespace

void append_label_value(std::string& out, std::string_view value) {
    for (const char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out += c;
        }
    }
}

//------------------------------------------------------------------------------
// Observation

registry::registry(std::string store_backend, const clock& clock)
    : backend_(std::move(store_backend)), clock_(clock), started_(clock.now()) {
    routes_.slots[0].name = other;
    routes_.size.store(1, std::memory_order_release);
    operations_.slots[0].name = other;
    operations_.size.store(1, std::memory_order_release);
}

registry::~registry() = default;

// Names are only ever appended, and a slot's name is written before the size that makes it
// visible is released, so the scan needs no lock. A memory allocation failure here terminates
// the process (noexcept), as it would soon anyway.
template <class Slot>
Slot& registry::find_or_add(name_table<Slot>& table, std::string_view name) noexcept {
    std::size_t size = table.size.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < size; ++i) {
        if (table.slots[i].name == name) return table.slots[i];
    }
    const std::lock_guard lock(add_mutex_);
    size = table.size.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < size; ++i) {  // another thread may have added it meanwhile
        if (table.slots[i].name == name) return table.slots[i];
    }
    if (size == max_names) return table.slots[0];
    table.slots[size].name = name;
    table.size.store(size + 1, std::memory_order_release);
    return table.slots[size];
}

registry::status_counts& registry::counts_for(route_slot& route, std::size_t method) noexcept {
    if (auto* counts = route.by_method[method].load(std::memory_order_acquire)) return *counts;
    const std::lock_guard lock(add_mutex_);
    if (auto* counts = route.by_method[method].load(std::memory_order_relaxed)) return *counts;
    auto& added = owned_counts_.emplace_back(std::make_unique<status_counts>());
    route.by_method[method].store(added.get(), std::memory_order_release);
    return *added;
}

void registry::observe_request(std::string_view route, std::string_view method, unsigned status,
                               std::chrono::nanoseconds latency) noexcept {
    route_slot& slot = find_or_add(routes_, route);
    const std::size_t status_slot = status >= 100 && status <= 599 ? status - 100 : 500;
    counts_for(slot, method_index(method))
        .by_status[status_slot]
        .fetch_add(1, std::memory_order_relaxed);
    slot.latency.observe(request_bounds_ns, to_ns(latency));
}

void registry::observe_store(std::string_view operation, std::chrono::nanoseconds latency,
                             bool failed) noexcept {
    operation_slot& slot = find_or_add(operations_, operation);
    slot.latency.observe(store_bounds_ns, to_ns(latency));
    if (failed) slot.errors.fetch_add(1, std::memory_order_relaxed);
}

void registry::count_rate_limited(rate_limit_kind kind) noexcept {
    rate_limited_[static_cast<std::size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
}

void registry::count_rejected(rejection reason) noexcept {
    rejected_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
}

void registry::count_sse_events(std::uint64_t events) noexcept {
    sse_events_.fetch_add(events, std::memory_order_relaxed);
}

//------------------------------------------------------------------------------
// Exposition

std::string registry::render(const gauges& g) const {
    std::string out;
    out.reserve(std::size_t{64} * 1024);  // a busy server's scrape is ~50 kB
    render_gauges(out, g);
    render_requests(out);
    render_store(out);
    render_counters(out);
    return out;
}

void registry::render_gauges(std::string& out, const gauges& g) const {
    append_family(out, "progressd_build_info", "gauge",
                  "Always 1; the labels name the version and the store backend.");
    append_sample(out, "progressd_build_info",
                  {{"store", backend_}, {"version", PROGRESSD_VERSION}}, std::uint64_t{1});

    const wall_time now = clock_.now();
    append_family(out, "progressd_uptime_seconds", "gauge", "Seconds since the server started.");
    append_sample(out, "progressd_uptime_seconds", {},
                  std::chrono::duration<double>(now - started_).count());
    // The name every Prometheus client library uses, so that stock dashboards find it.
    append_family(out, "process_start_time_seconds", "gauge",
                  "Start time of the process since the Unix epoch in seconds.");
    append_sample(out, "process_start_time_seconds", {},
                  static_cast<double>(to_unix_ms(started_)) / 1000.0);

    append_family(out, "progressd_watchers", "gauge", "Open live event streams.");
    append_sample(out, "progressd_watchers", {}, std::uint64_t{g.watchers});
    append_family(out, "progressd_open_connections", "gauge", "Open HTTP connections.");
    append_sample(out, "progressd_open_connections", {}, std::uint64_t{g.open_connections});
    if (g.sessions_stored) {
        append_family(out, "progressd_sessions_stored", "gauge",
                      "Sessions with a live progress in the store.");
        append_sample(out, "progressd_sessions_stored", {}, *g.sessions_stored);
    }
}

void registry::render_requests(std::string& out) const {
    constexpr std::string_view requests = "progressd_http_requests_total";
    constexpr std::string_view duration = "progressd_http_request_duration_seconds";
    const std::size_t size = routes_.size.load(std::memory_order_acquire);

    append_family(out, requests, "counter", "HTTP requests answered, by route, method and status.");
    std::array<char, 8> status_text{};
    for (std::size_t r = 0; r < size; ++r) {
        const route_slot& route = routes_.slots[r];
        for (std::size_t m = 0; m < method_count; ++m) {
            const auto* counts = route.by_method[m].load(std::memory_order_acquire);
            if (counts == nullptr) continue;
            const std::string_view method = m < known_methods.size() ? known_methods[m] : other;
            for (std::size_t s = 0; s < status_slots; ++s) {
                const std::uint64_t n = counts->by_status[s].load(std::memory_order_relaxed);
                if (n == 0) continue;
                std::string_view status = other;
                if (s < status_slots - 1) {
                    const auto end = std::to_chars(
                        status_text.data(), status_text.data() + status_text.size(), s + 100);
                    status = {status_text.data(), end.ptr};
                }
                append_sample(out, requests,
                              {{"method", method}, {"route", route.name}, {"status", status}}, n);
            }
        }
    }

    append_family(out, duration, "histogram",
                  "Time to answer an HTTP request, from its first byte read to the last written.");
    for (std::size_t r = 0; r < size; ++r) {
        const route_slot& route = routes_.slots[r];
        if (total(route.latency) == 0) continue;
        append_histogram(out, duration, route.latency, request_le, {"route", route.name});
    }
}

void registry::render_store(std::string& out) const {
    constexpr std::string_view duration = "progressd_store_operation_duration_seconds";
    constexpr std::string_view errors = "progressd_store_errors_total";
    const std::size_t size = operations_.size.load(std::memory_order_acquire);

    append_family(out, duration, "histogram", "Time a store call took, by operation.");
    for (std::size_t i = 0; i < size; ++i) {
        const operation_slot& op = operations_.slots[i];
        if (total(op.latency) == 0) continue;
        append_histogram(out, duration, op.latency, store_le, {"backend", backend_},
                         label{"operation", op.name});
    }
    append_family(out, errors, "counter",
                  "Store calls that failed (unavailable, timeout, I/O error, full), by operation.");
    for (std::size_t i = 0; i < size; ++i) {
        const operation_slot& op = operations_.slots[i];
        if (total(op.latency) == 0) continue;
        append_sample(out, errors, {{"backend", backend_}, {"operation", op.name}},
                      op.errors.load(std::memory_order_relaxed));
    }
}

void registry::render_counters(std::string& out) const {
    constexpr std::string_view limited = "progressd_rate_limited_total";
    append_family(out, limited, "counter", "Requests refused by a rate limit, by budget.");
    for (std::size_t i = 0; i < rate_limit_kinds.size(); ++i) {
        append_sample(out, limited, {{"kind", rate_limit_kinds[i]}},
                      rate_limited_[i].load(std::memory_order_relaxed));
    }
    constexpr std::string_view rejected = "progressd_rejected_total";
    append_family(out, rejected, "counter", "Requests refused before the store, by reason.");
    for (std::size_t i = 0; i < rejection_reasons.size(); ++i) {
        append_sample(out, rejected, {{"reason", rejection_reasons[i]}},
                      rejected_[i].load(std::memory_order_relaxed));
    }
    constexpr std::string_view events = "progressd_sse_events_sent_total";
    append_family(out, events, "counter", "Events written to live event streams.");
    append_sample(out, events, {}, sse_events_.load(std::memory_order_relaxed));
}

}  // namespace progressd::metrics
