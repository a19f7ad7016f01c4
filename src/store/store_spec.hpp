// Parsing of the --store option (`sqlite:PATH`, `memory:`) and construction of the backend it
// names. New backends (redis://, rediss://, kv-rest:) add a kind here and a file beside it.
#pragma once

#include "store/store.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::store {

struct store_spec {
    enum class kind { memory, sqlite, redis, kv_rest };
    kind backend = kind::sqlite;
    std::string location;         ///< sqlite: file path; redis: the redis:// URL; kv_rest: base URL
    std::string token;            ///< kv_rest: KV_REST_API_TOKEN
    std::string read_only_token;  ///< kv_rest: KV_REST_API_READ_ONLY_TOKEN, may be empty
};

/// Parses `text`; nullopt with `*problem` set to a one-line reason when it is not a known form.
/// Example: parse_store_spec("sqlite:./data/progress.db") → {sqlite, "./data/progress.db"}.
/// `redis://…` and `rediss://…` name Redis; `kv-rest:` names the Upstash REST store, whose URL
/// and tokens come from the KV_REST_API_* variables (see cli/options).
std::optional<store_spec> parse_store_spec(std::string_view text, std::string* problem);

/// `text` (a --store value, REDIS_URL or any URL) fit for a log line or an error message: the
/// userinfo of `scheme://userinfo@host…` loses its password (`user:***`), or becomes `***` whole
/// when it has no ':' (some clients read `redis://secret@host` as a password). Works on
/// malformed text too, which is when an error message quotes it.
/// Example: redact_password("redis://app:s3cret@10.0.0.5:6379/2") →
/// "redis://app:***@10.0.0.5:6379/2".
std::string redact_password(std::string_view text);

struct open_options {
    bool fsync = false;                               ///< sqlite
    std::chrono::milliseconds connect_timeout{2000};  ///< redis, kv_rest
    std::chrono::milliseconds command_timeout{2000};  ///< redis, kv_rest
    /// Quotas, on every backend: an append to a log that holds this many entries fails with
    /// store_errc::log_full and writes nothing.
    std::uint64_t max_log_entries = 1000;
    /// Embedded stores (sqlite, memory): a write that would create a session beyond this many
    /// live ones fails with store_errc::storage_full. Redis and REST leave this to maxmemory.
    std::uint64_t max_sessions = 1000000;
    /// On every backend: an append that would make the log's JSON array text longer than this
    /// many bytes fails with store_errc::log_too_large and writes nothing.
    std::uint64_t max_log_bytes = std::uint64_t{1} << 20;
};

/// Opens the backend. Throws std::runtime_error with a one-line reason when it cannot.
std::unique_ptr<store> open_store(const store_spec& spec, const open_options& options,
                                  const clock& clock);

}  // namespace progressd::store
