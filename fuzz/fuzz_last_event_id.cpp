// Resuming an event stream: the Last-Event-ID header (live::parse_event_id), the stored log's
// entries (live::log_entries) and what live::stream_session sends a client that resumes.
//
// Input: the Last-Event-ID header's value, a newline, then the text of a stored log (a JSON
// array of ErrorLogEntry objects, or anything else).
//
// Invariants:
// - parse_event_id accepts exactly "<digits>-<digits>" with both numbers below 2^64, and what
//   it parses prints and parses back to the same id;
// - log_entries gives canonical ErrorLogEntry JSON only, one line each, at most one per element,
//   and reading its own output again gives the same entries;
// - each entry framed by format_event reads back as one event with that data;
// - a stream over a memory store that holds a progress (or none) and those entries sends, for
//   the header: the retry line, the progress unless the client has that version (else
//   "waiting" when there is none), exactly the log entries the client lacks, then "closing";
//   every event id names what the client holds once it has that event.
#include "event_text.hpp"
#include "fuzz_check.hpp"

#include "live/hub.hpp"
#include "live/sse_stream.hpp"
#include "model/serialize.hpp"
#include "model/validation.hpp"
#include "store/memory_store.hpp"
#include "util/clock.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace progressd::fuzz {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

constexpr std::size_t max_stored_entries = 40;
constexpr std::string_view session = "fuzz";
constexpr std::string_view stored_progress =
    R"({"sessionId":"fuzz","currentStep":1,"completedSteps":[],"currentAction":"a",)"
    R"("toolStatus":{},"errors":[],"timestamp":"t","phase":"phase1","complete":false})";

template <class T>
T run(net::io_context& ioc, net::awaitable<T> work) {
    auto done = net::co_spawn(ioc, std::move(work), net::use_future);
    ioc.restart();
    ioc.run();
    return done.get();
}

std::optional<std::uint64_t> reference_number(std::string_view digits) {
    if (digits.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

std::optional<live::event_id> reference_event_id(std::string_view text) {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const auto version = reference_number(text.substr(0, dash));
    const auto count = reference_number(text.substr(dash + 1));
    if (!version || !count) return std::nullopt;
    return live::event_id{*version, *count};
}

std::string format_id(std::uint64_t version, std::uint64_t count) {
    return std::to_string(version) + "-" + std::to_string(count);
}

bool same(const std::optional<live::event_id>& a, const std::optional<live::event_id>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || (a->version == b->version && a->log_count == b->log_count);
}

void check_event_id(std::string_view header) {
    const auto id = live::parse_event_id(header);
    FUZZ_CHECK(same(id, reference_event_id(header)));
    if (!id) return;
    const auto again = live::parse_event_id(format_id(id->version, id->log_count));
    FUZZ_CHECK(same(again, id));
}

std::vector<std::string> check_log_entries(std::string_view log_text) {
    auto entries = live::log_entries(log_text);
    std::size_t elements = 0;
    auto parsed = model::parse_json(log_text);
    if (const auto* value = std::get_if<boost::json::value>(&parsed); value && value->is_array()) {
        elements = value->get_array().size();
    }
    FUZZ_CHECK(entries.size() <= elements);
    std::string joined = "[";
    for (const auto& entry : entries) {
        FUZZ_CHECK_MSG(entry.find_first_of("\r\n") == std::string::npos, entry);
        auto reparsed = model::parse_json(entry);
        const auto* value = std::get_if<boost::json::value>(&reparsed);
        FUZZ_CHECK_MSG(value != nullptr, entry);
        auto validated = model::validate_log_entry(*value);
        const auto* e = std::get_if<model::log_entry>(&validated);
        FUZZ_CHECK_MSG(e != nullptr && model::to_json(*e) == entry, entry);
        const auto block = parse_event_block(live::format_event("log", "1-2", entry));
        FUZZ_CHECK_MSG(block && block->event == "log" && block->id == "1-2" &&
                           block->data == entry && !block->comment,
                       entry);
        if (joined.size() > 1) joined += ',';
        joined += entry;
    }
    joined += ']';
    FUZZ_CHECK_MSG(live::log_entries(joined) == entries, joined);
    return entries;
}

class recording_sink final : public live::event_sink {
public:
    net::awaitable<bool> send(std::string text) override {
        sent.push_back(std::move(text));
        co_return true;
    }
    std::vector<std::string> sent;
};

// What a client that sent `header` must receive from a session with `puts` progress writes and
// `entries` in its log.
void check_stream(std::string_view header, int puts, const std::vector<std::string>& all) {
    net::io_context ioc;
    manual_clock clock;
    store::memory_store store(clock);
    std::optional<std::uint64_t> version;
    for (int i = 0; i < puts; ++i) {
        auto put = run(ioc, store.put(std::string(session), std::string(stored_progress), 60s));
        FUZZ_CHECK(put.has_value());
        version = *put;
    }
    const std::size_t stored = std::min(all.size(), max_stored_entries);
    for (std::size_t i = 0; i < stored; ++i) {
        auto count = run(ioc, store.append_log(std::string(session), all[i], 60s));
        FUZZ_CHECK(count.has_value() && *count == i + 1);
    }

    live::hub hub({});
    auto w = std::make_shared<live::watcher>(ioc.get_executor());
    auto [registration, refusal] = hub.watch(std::string(session), "127.0.0.1", w);
    FUZZ_CHECK(refusal == live::watch_refusal::none);
    hub.close_all();  // the stream sends the state, then finds "closing" and ends
    const auto resume = live::parse_event_id(header);
    recording_sink sink;
    run(ioc, live::stream_session(store, *w, std::string(session), resume, {60s, 10s}, sink));

    // The client holds the entries up to its count unless the log is shorter (it restarted).
    std::uint64_t held = resume && resume->log_count <= stored ? resume->log_count : 0;
    const std::uint64_t shown_version = version.value_or(0);
    std::size_t at = 0;
    const auto next = [&]() -> event_block {
        FUZZ_CHECK_MSG(at < sink.sent.size(), std::string(header));
        auto block = parse_event_block(sink.sent[at]);
        FUZZ_CHECK_MSG(block.has_value(), sink.sent[at]);
        ++at;
        return *block;
    };
    FUZZ_CHECK(next().retry == "2000");
    if (version && (!resume || resume->version != *version)) {
        const auto progress = next();
        FUZZ_CHECK(progress.event == "progress" && progress.data == std::string(stored_progress));
        FUZZ_CHECK_MSG(progress.id == format_id(*version, held),
                       std::string(header) + " -> progress id " + progress.id.value_or("none") +
                           ", but the client holds " + std::to_string(held) + " entries");
    } else if (!version) {
        const auto waiting = next();
        FUZZ_CHECK(waiting.event == "waiting" && !waiting.id);
        FUZZ_CHECK(waiting.data == R"({"sessionId":"fuzz"})");
    }
    for (std::uint64_t i = held; i < stored; ++i) {
        const auto log = next();
        FUZZ_CHECK(log.event == "log" && log.data == all[i]);
        FUZZ_CHECK_MSG(log.id == format_id(shown_version, i + 1), log.id.value_or("none"));
        FUZZ_CHECK(live::parse_event_id(*log.id).has_value());
    }
    const auto closing = next();
    FUZZ_CHECK(closing.event == "closing" && !closing.id);
    FUZZ_CHECK(at == sink.sent.size());
}

}  // namespace
}  // namespace progressd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    progressd::fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace progressd;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    const std::string_view header = input.substr(0, newline);
    const std::string_view log_text =
        newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

    fuzz::check_event_id(header);
    fuzz::check_event_id(input);
    const auto entries = fuzz::check_log_entries(log_text);
    // Whether a progress exists, and its version, follow from the header's length.
    fuzz::check_stream(header, static_cast<int>(header.size() % 3), entries);
    return 0;
}
