// Per-session write keys (--session-keys): the first write to a session gets a random key back,
// and every later write must present it, so that knowing a session id (it is in the live page's
// URL) is not enough to overwrite someone else's progress. The store keeps only a SHA-256 digest
// of each key, so a copy of the database does not hand out keys either.
#pragma once

#include "http/request_handler.hpp"
#include "store/store.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <variant>

namespace progressd::api {

/// A new key: 256 random bits from OpenSSL's CSPRNG, base64url without padding (43 characters).
std::string generate_write_key();

/// The digest the store keeps for `key`: lowercase hex SHA-256.
std::string write_key_digest(std::string_view key);

/// How a write may go on.
struct write_permit {
    std::optional<std::string> new_key;  ///< set when this write claimed the session
};

/// Checks the write key of a write to `session_id` (header X-Write-Key, possibly empty),
/// claiming the session for a fresh key when it has none. Returns the permit, or the reply that
/// refuses the write: 401 when the session has a key and none was given, 403 when the given one
/// is wrong, 503 when the store fails, and 507 with `write_action` (the error the write itself
/// would have answered, e.g. "Failed to store progress") when a full store refuses to claim a
/// key for a new session. A script may also choose its own key and send it with its first
/// write; the session is then claimed with that key.
boost::asio::awaitable<std::variant<write_permit, http::reply>> check_write_key(
    store::store& store, const std::string& session_id, std::string_view presented,
    std::chrono::seconds ttl, std::string_view write_action);

}  // namespace progressd::api
