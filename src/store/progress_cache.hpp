// A bounded in-memory copy of recently read or written sessions in front of SQLite, so that a
// dashboard polling a session costs no SQLite read transaction (and no file-lock syscalls).
//
// Coherence (docs/storage.md, "The read cache"): a GET never returns an older version than one
// any GET returned before it, nor than an acknowledged write.
// - The writer brackets every commit that can change a session's progress with begin_write()
//   before COMMIT and end_write() after it (write()/erase() come in between), so it answers a
//   write only after the cache holds it.
// - Sessions hash onto a fixed number of stripes. A stripe has a generation, bumped by every
//   begin_write() and end_write(), and a count of writes in flight. A reader takes a ticket
//   (the generation) before it reads SQLite; there is none while a write of the stripe is in
//   flight. Its fill is kept only if the stripe's generation is still the ticket: then no commit
//   touched the stripe since the ticket, every commit before it had ended, and the read (which
//   began after the ticket) saw the newest committed version.
// - Stripes survive eviction, so an evicted entry cannot let an old read back in, and their
//   memory is fixed (stripe_count counters) whatever the number of sessions. Two sessions on
//   one stripe only cost each other a refused fill, never a wrong one.
// Eviction is CLOCK: a read marks its entry, the hand spares marked entries once and takes the
// first unmarked one; a new entry sits just behind the hand, so it is the last candidate.
#pragma once

#include "store/store.hpp"

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace progressd::store {

class progress_cache {
public:
    /// What a reader takes before it reads SQLite; nullopt: do not fill (a write is in flight).
    using ticket = std::optional<std::uint64_t>;

    /// Example: progress_cache cache(4096); auto t = cache.take_ticket("s"); … cache.fill("s",
    /// read_from_sqlite, expires_at, now, t);
    explicit progress_cache(std::size_t max_entries);

    /// The cached progress of `session_id`, unless absent or expired at `now_ms`.
    std::optional<stored_progress> get(const std::string& session_id, std::int64_t now_ms);

    /// The writer, before the COMMIT that may change `session_id`; pair with end_write().
    void begin_write(const std::string& session_id);
    /// The writer, after that COMMIT (or its rollback), and after write()/erase().
    void end_write(const std::string& session_id);

    /// The writer's word after a commit: replaces whatever is cached.
    void write(const std::string& session_id, stored_progress p, std::int64_t expires_at_ms);

    /// The writer's word after a committed deletion: forgets `session_id`.
    void erase(const std::string& session_id);

    ticket take_ticket(const std::string& session_id);

    /// A reader's result, kept only if no write of the session's stripe began since `t` was taken.
    void fill(const std::string& session_id, const stored_progress& p, std::int64_t expires_at_ms,
              std::int64_t now_ms, ticket t);

    /// Fixed whatever the number of sessions: the memory the monotonic rule costs.
    static constexpr std::size_t stripe_count = 1024;

private:
    struct entry {
        std::string session_id;
        stored_progress progress;
        std::int64_t expires_at_ms = 0;
        bool referenced = false;
    };
    struct stripe {
        std::uint64_t generation = 0;
        std::uint32_t writes_in_flight = 0;
    };
    stripe& stripe_of(const std::string& session_id);
    void insert_locked(const std::string& session_id, stored_progress p,
                       std::int64_t expires_at_ms);
    std::size_t victim_locked();

    std::size_t max_entries_;
    std::mutex mutex_;
    std::vector<entry> slots_;
    std::unordered_map<std::string, std::size_t> index_;
    std::size_t hand_ = 0;
    std::array<stripe, stripe_count> stripes_{};
};

}  // namespace progressd::store
