// The original app's data layout in Redis, shared by the Redis store and the Upstash REST store,
// so that both apps can use one database during a migration:
//   progress:{id}          the ProgressData JSON string, SET with EX ttl
//   progress:{id}:log      the JSON array string of ErrorLogEntry, EX ttl
//   progress:{id}:version  progressd's write counter for the session, EX ttl (the original app
//                          neither reads nor writes it; a session it writes keeps its version)
//   progress:{id}:log:meta "<entries> <bytes>" of the log as progressd last wrote it, EX ttl, so
//                          an append need not decode the whole log to count it
// Writes go through the Lua scripts below, so each is atomic inside Redis. Each script also
// PUBLISHes what it wrote on `events_channel`, so that every progressd instance sharing the
// database can push the change to its own watchers (live/redis_bridge).
#pragma once

#include <string>
#include <string_view>

namespace progressd::store::redis_layout {

std::string progress_key(std::string_view session_id);
std::string log_key(std::string_view session_id);
std::string version_key(std::string_view session_id);
std::string log_meta_key(std::string_view session_id);

/// The channel of change messages: "progress\n<session id>\n<version>\n<ProgressData JSON>" or
/// "log\n<session id>\n<entry count>\n<ErrorLogEntry JSON>". Session ids never hold "\n".
inline constexpr std::string_view events_channel = "progressd:events";

/// KEYS: progress, version. ARGV: progress JSON, ttl seconds, session id, and for a conditional
/// write the expected version ("" = the session must not exist). Returns the new version, or -1
/// (nothing written) when the condition does not hold.
extern const std::string_view put_script;

/// KEYS: log, log meta. ARGV: entry JSON, ttl seconds, session id. Appends the entry to the JSON
/// array string (as text, so the stored bytes stay exactly what was written) and returns the new
/// entry count. A value that is not a JSON array is an error, never silently replaced.
extern const std::string_view append_log_script;

/// The SHA1 (hex) of a script, as EVALSHA wants it.
std::string script_sha1(std::string_view script);

}  // namespace progressd::store::redis_layout
