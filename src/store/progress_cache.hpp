// A bounded in-memory copy of recently read or written sessions in front of SQLite, so that a
// dashboard polling a session costs no SQLite read transaction (and no file-lock syscalls).
//
// Coherence: the writer thread replaces an entry after each commit and before it answers the
// write, so read-your-writes holds. A reader fills in what it read from SQLite only when the
// cache holds nothing newer, so a read that raced a commit cannot bring an old version back.
// Versions only grow while a session lives, but a deleted session starts again at 1: so the
// writer erases a deleted session and moves the cache to a new epoch, and a reader's fill is
// kept only if no deletion came between the epoch it took before reading and the fill.
#pragma once

#include "store/store.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace progressd::store {

class progress_cache {
public:
    explicit progress_cache(std::size_t max_entries) : max_entries_(max_entries) {}

    /// The cached progress of `session_id`, unless absent or expired at `now_ms`.
    std::optional<stored_progress> get(const std::string& session_id, std::int64_t now_ms);

    /// The writer's word after a commit: replaces whatever is cached.
    void write(const std::string& session_id, stored_progress p, std::int64_t expires_at_ms);

    /// The writer's word after a committed deletion: forgets `session_id` and starts a new epoch.
    void erase(const std::string& session_id);

    /// What a reader takes before it reads SQLite, to hand to fill().
    std::uint64_t epoch();

    /// A reader's result: kept only if nothing newer (or unexpired) is cached and nothing was
    /// erased since `epoch`.
    void fill(const std::string& session_id, const stored_progress& p, std::int64_t expires_at_ms,
              std::int64_t now_ms, std::uint64_t epoch);

private:
    struct entry {
        stored_progress progress;
        std::int64_t expires_at_ms = 0;
    };
    void insert_locked(const std::string& session_id, entry e);

    std::size_t max_entries_;
    std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
    std::uint64_t epoch_ = 0;
};

}  // namespace progressd::store
