// The original app's data layout in Redis, shared by the Redis store and the Upstash REST store,
// so that both apps can use one database during a migration:
//   progress:{id}          the ProgressData JSON string, SET with EX ttl
//   progress:{id}:log      the JSON array string of ErrorLogEntry, EX ttl
//   progress:{id}:version  progressd's write counter for the session, EX ttl (the original app
//                          neither reads nor writes it; a session it writes keeps its version)
//   progress:{id}:log:meta "<entries> <bytes>" of the log as progressd last wrote it, EX ttl, so
//                          an append need not decode the whole log to count it
//   progress:{id}:key      the session's write key digest (--session-keys), EX ttl
// Writes go through the Lua scripts below, so each is atomic inside Redis. Each script also
// PUBLISHes what it wrote on `events_channel`, so that every progressd instance sharing the
// database can push the change to its own watchers (live/redis_bridge).
//
// Every key of a session is "progress:" + id + one of session_key_suffixes, and an id may not end
// with any of them (model/session_id.hpp), so no two sessions share a key (docs/storage.md has
// the proof). Listing walks the keyspace with SCAN MATCH progress:*; a key ending in a reserved
// suffix is another part of a session, never a progress, and since no accepted id ends in one,
// every session progressd can address is listed. (A session that the original app wrote under
// such an id, e.g. "a:log", overwrote a key of "a" and cannot be addressed through progressd.)
#pragma once

#include "model/session_id.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store::redis_layout {

/// The suffixes after "progress:{id}" of all keys of a session, the progress key's first (none).
/// Each other one is a reserved suffix of session ids; tests/store/redis_layout_test.cpp checks it.
inline constexpr std::array<std::string_view, 5> session_key_suffixes = {
    std::string_view(), model::session_key_suffix::log, model::session_key_suffix::version,
    model::session_key_suffix::log_meta, model::session_key_suffix::write_key};

/// Example: log_key("a") == "progress:a:log".
std::string progress_key(std::string_view session_id);
std::string log_key(std::string_view session_id);
std::string version_key(std::string_view session_id);
std::string log_meta_key(std::string_view session_id);
std::string write_key_key(std::string_view session_id);

/// The session id whose progress `key` holds, or nullopt for any other key (see above).
std::optional<std::string_view> session_of_progress_key(std::string_view key);

/// The channel of change messages: "progress\n<session id>\n<version>\n<ProgressData JSON>",
/// "log\n<session id>\n<entry count>\n<ErrorLogEntry JSON>", or "deleted\n<session id>\n0\n"
/// when the session was removed (admin API). Session ids never hold "\n".
inline constexpr std::string_view events_channel = "progressd:events";

/// KEYS: progress, version. ARGV: progress JSON, ttl seconds, session id, and for a conditional
/// write the expected version ("" = the session must not exist). Returns the new version, or -1
/// (nothing written) when the condition does not hold.
extern const std::string_view put_script;

/// KEYS: log, log meta. ARGV: entry JSON, ttl seconds, session id, and optionally the most
/// entries the log may hold and then the most bytes its array text may take. Appends the entry
/// to the JSON array string (as text, so the stored bytes stay exactly what was written) and
/// returns the new entry count, -1 (nothing written) when the log already holds the most
/// entries, or -2 (nothing written) when the entry would take the text past the most bytes. A value
/// that is not a JSON array is an error, never silently replaced.
extern const std::string_view append_log_script;

/// KEYS: progress, log, version, log meta, write key. ARGV: session id. Deletes them all and
/// returns 1 when the progress or the log existed, 0 otherwise; only in the first case does it
/// publish "deleted".
extern const std::string_view remove_script;

/// KEYS: write key. ARGV: key digest, ttl seconds. Sets the key unless it exists, sets its
/// expiry either way, and returns the digest it holds.
extern const std::string_view claim_write_key_script;

/// KEYS: progress and version of each session, in pairs. Returns three values per pair: the
/// progress JSON (nil when absent or not a string), the version (nil when absent) and the
/// progress key's PTTL. One atomic read of a listed page.
extern const std::string_view list_fetch_script;

/// The SCAN walk of list(): builds one page of session ids from successive SCAN replies.
///
/// The opaque cursor is "<SCAN cursor>" or, when a page ended inside the keys of one SCAN call,
/// "<that call's SCAN cursor>\n<last id returned>": the next page repeats that call and takes
/// its ids after that one, in byte order. Ids in one call are sorted, so a session written
/// meanwhile cannot shift the place. As with SCAN itself, a session may be listed twice when
/// Redis resizes its hash table during the walk.
/// Example: list_walk walk(cursor, 100); while (!walk.done()) walk.take(scan(walk.scan_cursor(),
/// walk.scan_count())); then fetch walk.ids() and answer walk.next_cursor().
class list_walk {
public:
    /// A cursor that is not one of ours starts a walk that is already done and empty.
    list_walk(std::string_view cursor, std::size_t limit);

    bool done() const { return done_; }
    /// What to send: SCAN scan_cursor() MATCH progress:* COUNT scan_count().
    const std::string& scan_cursor() const { return scan_cursor_; }
    std::size_t scan_count() const;
    /// One SCAN reply: its keys and its next cursor.
    void take(const std::vector<std::string_view>& keys, std::string next_scan_cursor);

    const std::vector<std::string>& ids() const { return ids_; }
    const std::string& next_cursor() const { return next_cursor_; }

private:
    std::size_t limit_;
    std::string scan_cursor_ = "0";
    std::optional<std::string> after_;  ///< skip ids up to this one in the next reply
    std::vector<std::string> ids_;
    std::string next_cursor_;
    std::size_t calls_ = 0;
    bool done_ = false;
};

/// The SHA1 (hex) of a script, as EVALSHA wants it.
std::string script_sha1(std::string_view script);

}  // namespace progressd::store::redis_layout
