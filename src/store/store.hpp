// The contract every storage backend meets (memory, SQLite; Redis and the Upstash REST store plug
// in here too). It knows JSON text and session ids, nothing of HTTP. One contract test suite,
// tests/store/store_contract_test.cpp, runs against every backend.
#pragma once

#include "util/errors.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace progressd::store {

/// A session's latest progress: the canonical JSON text that a GET returns byte for byte, and a
/// version that grows with every write to the session (for ETags and event ids).
struct stored_progress {
    std::string json;
    std::uint64_t version = 0;
};

/// DESIGN: calls may come from any I/O thread at once. Each returns an awaitable that resumes on
/// the caller's executor. A backend that must block (disk, network) does so on its own threads,
/// never on the caller's. Expected failures are values (store_errc), never exceptions.
///
/// Expiry: `ttl` is the time to live from the moment of the write. Expired data is absent on every
/// read whatever the background purge has done so far.
///
/// Example:
///   auto version = co_await store.put("s1", to_json(progress), std::chrono::hours(1));
///   auto latest = co_await store.get("s1");  // latest->json is what was put
class store {
public:
    virtual ~store() = default;

    /// The progress of `session_id`; store_errc::not_found when it is absent or expired.
    virtual boost::asio::awaitable<result<stored_progress>> get(std::string session_id) = 0;

    /// Replaces the progress of `session_id` and sets its expiry to now + `ttl`. Resumes only when
    /// the write is durable for this backend. Returns the session's new version.
    virtual boost::asio::awaitable<result<std::uint64_t>> put(std::string session_id,
                                                              std::string progress_json,
                                                              std::chrono::seconds ttl) = 0;

    /// Like put, but only if the session is as the caller last read it: at version `expected`,
    /// or absent (or expired) when `expected` is nullopt. Otherwise store_errc::conflict and
    /// nothing is written. The check and the write are one atomic step: a read-modify-write
    /// (PATCH) built on it loses no concurrent update.
    virtual boost::asio::awaitable<result<std::uint64_t>> put_if(
        std::string session_id, std::string progress_json, std::chrono::seconds ttl,
        std::optional<std::uint64_t> expected) = 0;

    /// Appends one entry to the error log of `session_id` and sets the log's expiry to now + `ttl`
    /// (an expired log starts again empty). Atomic: concurrent appends are all kept, and each
    /// caller gets a distinct count. Returns the number of entries after this one.
    virtual boost::asio::awaitable<result<std::uint64_t>> append_log(std::string session_id,
                                                                     std::string entry_json,
                                                                     std::chrono::seconds ttl) = 0;

    /// The error log of `session_id` as the JSON array text of its entries in append order,
    /// exactly as the original app stored it under `progress:{id}:log`; "[]" when it has none.
    virtual boost::asio::awaitable<result<std::string>> get_log(std::string session_id) = 0;

    /// What a watcher needs to know about each of `session_ids`, in one round trip where the
    /// backend allows: the progress (absent when none) and the number of log entries. For
    /// instances that cannot subscribe to each other's writes (the REST store) and so poll.
    struct watch_state {
        std::optional<stored_progress> progress;
        std::uint64_t log_entries = 0;
    };
    virtual boost::asio::awaitable<result<std::vector<watch_state>>> snapshot(
        std::vector<std::string> session_ids);

    //--------------------------------------------------------------------------------------------
    // Administration and access control

    /// One stored session, as the admin API lists it.
    struct listed_session {
        std::string session_id;
        stored_progress progress;
        /// Until the progress expires, rounded up; -1 s when it never does (a Redis key that
        /// another program wrote without EX).
        std::chrono::seconds expires_in{0};
    };
    struct session_page {
        std::vector<listed_session> sessions;
        std::string next_cursor;  ///< opaque; empty when there are no more sessions
    };
    /// Up to `limit` (≥ 1) sessions with a live progress, starting after `cursor` ("" = from the
    /// first). Following next_cursor until it is empty visits every session that existed for
    /// the whole walk exactly once; sessions written meanwhile may or may not appear. A page may
    /// hold fewer than `limit` sessions even when more follow (Redis SCAN does that).
    virtual boost::asio::awaitable<result<session_page>> list(std::string cursor,
                                                              std::size_t limit) = 0;

    /// Deletes everything of `session_id`: progress, log, version and write key. Returns whether
    /// it had a live progress or log. Deleting an absent session succeeds with false.
    virtual boost::asio::awaitable<result<bool>> remove(std::string session_id) = 0;

    /// The number of sessions with a live progress; store_errc::unsupported where that would
    /// take a scan of the whole database (Redis, REST).
    virtual boost::asio::awaitable<result<std::uint64_t>> count() = 0;

    /// A recent session count that costs no trip to the backend (for /metrics, which must stay
    /// off the store's hot path); nullopt when the backend keeps none. SQLite: the progress rows
    /// of the last commit, including expired ones its purge has not removed yet.
    virtual std::optional<std::uint64_t> published_count() const { return std::nullopt; }

    /// Per-session write keys (--session-keys). Records `key_digest` as the key of `session_id`
    /// unless it already has one, and returns the digest the session has now: `key_digest` when
    /// this call claimed the session, the earlier one otherwise. Atomic: of concurrent first
    /// claims exactly one wins. The key's expiry is set to now + `ttl` either way, so it lives as
    /// long as the session's data written with it.
    virtual boost::asio::awaitable<result<std::string>> claim_write_key(
        std::string session_id, std::string key_digest, std::chrono::seconds ttl) = 0;

    /// Succeeds when the backend can serve requests (used by /readyz).
    virtual boost::asio::awaitable<result<void>> ping() = 0;

    /// Finishes pending writes and releases the backend. Called once, after the last request.
    virtual void close() = 0;
};

}  // namespace progressd::store
