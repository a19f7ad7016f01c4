// One Server-Sent Events stream of one session: the current state first, then every change as
// it happens, heartbeats, and the end (expiry, shutdown).
//
// Event ids are "<progress version>-<log entry count>", so a client that reconnects with
// Last-Event-ID gets only what it lacks: the progress if its version differs, the log entries
// past its count (or the whole log when the log restarted).
#pragma once

#include "live/event_sink.hpp"
#include "live/hub.hpp"
#include "store/store.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::live {

struct event_id {
    std::uint64_t version = 0;
    std::uint64_t log_count = 0;
};

/// Parses a Last-Event-ID header; nullopt for anything that is not "<digits>-<digits>".
std::optional<event_id> parse_event_id(std::string_view text);

/// The entries of a stored log (its JSON array text), each in canonical form; entries that are
/// not ErrorLogEntry objects (written by another program) are left out rather than sent broken.
std::vector<std::string> log_entries(std::string_view array_text);

/// "event: NAME\nid: ID\ndata: DATA\n\n" (no id line when `id` is empty). `data` that spans
/// several lines is put on one (JSON, written again compactly) or on several data lines.
std::string format_event(std::string_view name, std::string_view id, std::string_view data);

struct stream_options {
    std::chrono::seconds ttl{3600};
    std::chrono::milliseconds heartbeat{std::chrono::seconds(15)};
    std::chrono::milliseconds retry{std::chrono::seconds(2)};  ///< the EventSource reconnect delay
};

/// Streams `session_id` to `sink` until the client leaves, the session expires, the watcher
/// overflows or the server shuts down. `w` must already be registered with the hub, so that no
/// write between registration and the first read is missed. Never throws.
boost::asio::awaitable<void> stream_session(store::store& store, watcher& w, std::string session_id,
                                            std::optional<event_id> resume, stream_options options,
                                            event_sink& sink);

}  // namespace progressd::live
