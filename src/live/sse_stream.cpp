#include "live/sse_stream.hpp"

#include "model/json_text.hpp"
#include "model/serialize.hpp"
#include "model/validation.hpp"

#include <boost/json/value.hpp>

#include <charconv>

namespace progressd::live {
namespace {

namespace net = boost::asio;
using clock_type = std::chrono::steady_clock;

// Appends the data field of an event. Data that another program wrote (a raw SET or PUBLISH on
// Redis) may hold line breaks, which would end the field early and break the framing: JSON is
// then written again compactly, on one line, and anything else is sent as one data line per
// line, which an EventSource joins with "\n" (the SSE spec ends a line at CR, LF or CRLF).
void append_data(std::string& text, std::string_view data) {
    if (data.find_first_of("\r\n") == std::string_view::npos) {
        text += "data: ";
        text += data;
        text += '\n';
        return;
    }
    auto parsed = model::parse_json(data);
    if (const auto* value = std::get_if<boost::json::value>(&parsed)) {
        text += "data: ";
        model::append_stringified(text, *value);
        text += '\n';
        return;
    }
    for (;;) {
        const auto end = data.find_first_of("\r\n");
        text += "data: ";
        text += data.substr(0, end);
        text += '\n';
        if (end == std::string_view::npos) return;
        const bool crlf = data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n';
        data.remove_prefix(end + (crlf ? 2 : 1));
    }
}

std::string format_id(const event_id& id) {
    return std::to_string(id.version) + "-" + std::to_string(id.log_count);
}

// The state of one stream: what it has sent, and when to look for expiry.
class stream {
public:
    stream(store::store& store, watcher& w, std::string session_id, stream_options options,
           event_sink& sink)
        : store_(store),
          watcher_(w),
          session_id_(std::move(session_id)),
          options_(options),
          sink_(sink) {}

    net::awaitable<void> run(std::optional<event_id> resume) {
        if (!co_await send("retry: " + std::to_string(options_.retry.count()) + "\n\n")) co_return;
        if (!co_await send_current_state(resume)) co_return;
        auto next_heartbeat = clock_type::now() + options_.heartbeat;
        for (;;) {
            const auto wake_at =
                seen_ ? std::min(next_heartbeat, expiry_check_at_) : next_heartbeat;
            co_await watcher_.wait(std::max(wake_at - clock_type::now(), clock_type::duration(0)));
            auto pending = watcher_.take();
            if (pending.disconnected) co_return;
            if (pending.closing) {
                co_await send(format_event("closing", "", R"({"reason":"server shutting down"})"));
                co_return;
            }
            if (pending.deleted) {
                // To a watcher a deleted session is one that expired early.
                co_await send(format_event("expired", "", session_json()));
                co_return;
            }
            if (pending.overflowed) co_return;  // the client reconnects and resynchronizes
            if (!co_await send_pending(pending)) co_return;
            const auto now = clock_type::now();
            if (seen_ && now >= expiry_check_at_) {
                if (!co_await still_exists()) {
                    co_await send(format_event("expired", "", session_json()));
                    co_return;
                }
                expiry_check_at_ = now + expiry_check_interval();
            }
            if (now >= next_heartbeat) {
                if (!co_await send(": keep-alive\n\n")) co_return;
                next_heartbeat = now + options_.heartbeat;
            }
        }
    }

private:
    net::awaitable<bool> send(std::string text) { co_return co_await sink_.send(std::move(text)); }

    std::string session_json() const {
        std::string json = R"({"sessionId":)";
        model::append_json_string(json, session_id_);
        json += '}';
        return json;
    }

    // How often an idle stream asks the store whether its session still exists.
    clock_type::duration expiry_check_interval() const {
        return std::min<clock_type::duration>(options_.ttl, std::chrono::seconds(30));
    }

    net::awaitable<bool> send_current_state(const std::optional<event_id>& resume) {
        auto current = co_await store_.get(session_id_);
        auto log = co_await store_.get_log(session_id_);
        const auto entries = log ? log_entries(*log) : std::vector<std::string>();
        // The entries the client already holds, unless the log restarted since (it is shorter).
        // Every id sent from here on counts them, the progress event's included: a client that
        // reconnects right after it must not be sent the whole log again.
        if (resume && resume->log_count <= entries.size()) sent_.log_count = resume->log_count;
        if (current) {
            seen_ = true;
            expiry_check_at_ = clock_type::now() + expiry_check_interval();
            // A different version, even a smaller one (the session was recreated), is news.
            if (!resume || resume->version != current->version) {
                sent_.version = current->version;
                if (!co_await send(format_event("progress", format_id(sent_), current->json))) {
                    co_return false;
                }
            }
            sent_.version = current->version;
        } else if (!co_await send(format_event("waiting", "", session_json()))) {
            co_return false;
        }
        for (std::size_t i = sent_.log_count; i < entries.size(); ++i) {
            sent_.log_count = i + 1;
            if (!co_await send(format_event("log", format_id(sent_), entries[i]))) co_return false;
        }
        sent_.log_count = entries.size();
        co_return true;
    }

    net::awaitable<bool> send_pending(const pending_events& pending) {
        if (pending.progress && pending.progress->version > sent_.version) {
            seen_ = true;
            sent_.version = pending.progress->version;
            expiry_check_at_ = clock_type::now() + options_.ttl + std::chrono::milliseconds(100);
            if (!co_await send(
                    format_event("progress", format_id(sent_), *pending.progress->json))) {
                co_return false;
            }
        }
        for (const auto& entry : pending.log) {
            if (entry.count <= sent_.log_count) continue;  // already sent with the initial state
            sent_.log_count = entry.count;
            if (!co_await send(format_event("log", format_id(sent_), *entry.entry_json))) {
                co_return false;
            }
        }
        co_return true;
    }

    net::awaitable<bool> still_exists() {
        const auto current = co_await store_.get(session_id_);
        co_return current.has_value() || current.error() != store_errc::not_found;
    }

    store::store& store_;
    watcher& watcher_;
    std::string session_id_;
    stream_options options_;
    event_sink& sink_;
    event_id sent_;
    bool seen_ = false;
    clock_type::time_point expiry_check_at_{};
};

}  // namespace

std::vector<std::string> log_entries(std::string_view array_text) {
    std::vector<std::string> entries;
    auto parsed = model::parse_json(array_text);
    const auto* value = std::get_if<boost::json::value>(&parsed);
    if (value == nullptr || !value->is_array()) return entries;
    for (const auto& element : value->get_array()) {
        auto entry = model::validate_log_entry(element);
        if (const auto* valid = std::get_if<model::log_entry>(&entry)) {
            entries.push_back(model::to_json(*valid));
        }
    }
    return entries;
}

std::optional<event_id> parse_event_id(std::string_view text) {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size()) return std::nullopt;
    event_id id;
    const auto parse = [](std::string_view digits, std::uint64_t& out) {
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
        return ec == std::errc{} && end == digits.data() + digits.size();
    };
    if (!parse(text.substr(0, dash), id.version) || !parse(text.substr(dash + 1), id.log_count)) {
        return std::nullopt;
    }
    return id;
}

std::string format_event(std::string_view name, std::string_view id, std::string_view data) {
    std::string text;
    text.reserve(name.size() + id.size() + data.size() + 24);
    text += "event: ";
    text += name;
    text += '\n';
    if (!id.empty()) {
        text += "id: ";
        text += id;
        text += '\n';
    }
    append_data(text, data);
    text += '\n';
    return text;
}

net::awaitable<void> stream_session(store::store& store, watcher& w, std::string session_id,
                                    std::optional<event_id> resume, stream_options options,
                                    event_sink& sink) {
    sink.on_disconnect([&w] { w.offer_disconnected(); });
    stream s(store, w, std::move(session_id), options, sink);
    co_await s.run(resume);
    sink.on_disconnect({});
}

}  // namespace progressd::live
