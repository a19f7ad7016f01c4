// The rule for session ids. The original stored any id (10,000 characters, "a/b", control
// characters); progressd accepts what a script or a person can type and a URL can carry, and
// never an id that would name another session's keys.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::model {

inline constexpr std::size_t max_session_id_characters = 200;

/// The suffixes that name a session's keys beside its progress (`progress:{id}` + suffix,
/// store/redis_layout.hpp builds every key from these), and those that the next keys will use.
struct session_key_suffix {
    static constexpr std::string_view log = ":log";
    static constexpr std::string_view log_meta = ":log:meta";
    static constexpr std::string_view version = ":version";
    static constexpr std::string_view write_key = ":key";
    static constexpr std::string_view timeline = ":timeline";    // the next issue's timeline
    static constexpr std::string_view tombstone = ":tombstone";  // and its tombstones
};

/// No session id may end with one of these, on every store alike: otherwise `a:log` would name
/// the log of `a`. docs/storage.md proves that the rule keeps all keys of two sessions apart.
/// Example: "a:log" and "a:log:meta" are refused; "a:logs", "a:LOG" and "log" are accepted.
inline constexpr std::array<std::string_view, 6> reserved_session_id_suffixes = {
    session_key_suffix::log,       session_key_suffix::log_meta, session_key_suffix::version,
    session_key_suffix::write_key, session_key_suffix::timeline, session_key_suffix::tombstone};

/// Why `id` (the URL-decoded path segment) is not a valid session id, or nullopt when it is:
/// 1 to 200 Unicode characters of valid UTF-8, none of them a control character or `/`, and
/// not ending with a reserved suffix (above).
/// Example: session_id_problem("a/b") == "session ID must not contain '/'".
std::optional<std::string> session_id_problem(std::string_view id);

}  // namespace progressd::model
