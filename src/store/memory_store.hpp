// `memory:` — everything in process memory, lost on exit. For tests and demos.
//
// DESIGN. One mutex guards one ordered map of sessions (ordered so that list() pages by id).
// Expired parts are dropped lazily on access, by a sweep of the whole map at most every 10 s,
// and by an exact sweep when count() or the session quota needs exact numbers and something has
// expired since the last one (earliest_expiry_ says when that can be).
#pragma once

#include "store/store.hpp"
#include "util/clock.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace progressd::store {

struct memory_options {
    /// An append to a log that holds this many entries fails with store_errc::log_full.
    std::uint64_t max_log_entries = 1000;
    /// A write that would create a session beyond this many live ones fails with
    /// store_errc::storage_full.
    std::uint64_t max_sessions = 1000000;
    /// An append that would make the log's JSON array text longer than this many bytes fails
    /// with store_errc::log_too_large.
    std::uint64_t max_log_bytes = std::uint64_t{1} << 20;
};

class memory_store final : public store {
public:
    explicit memory_store(const clock& clock, memory_options options = {});

    boost::asio::awaitable<result<stored_progress>> get(std::string session_id) override;
    boost::asio::awaitable<result<std::uint64_t>> put(std::string session_id,
                                                      std::string progress_json,
                                                      std::chrono::seconds ttl) override;
    boost::asio::awaitable<result<std::uint64_t>> put_if(
        std::string session_id, std::string progress_json, std::chrono::seconds ttl,
        std::optional<std::uint64_t> expected) override;
    boost::asio::awaitable<result<std::uint64_t>> append_log(std::string session_id,
                                                             std::string entry_json,
                                                             std::chrono::seconds ttl) override;
    boost::asio::awaitable<result<std::string>> get_log(std::string session_id) override;
    boost::asio::awaitable<result<session_page>> list(std::string cursor,
                                                      std::size_t limit) override;
    boost::asio::awaitable<result<bool>> remove(std::string session_id) override;
    boost::asio::awaitable<result<std::uint64_t>> count() override;
    boost::asio::awaitable<result<std::string>> claim_write_key(std::string session_id,
                                                                std::string key_digest,
                                                                std::chrono::seconds ttl) override;
    boost::asio::awaitable<result<void>> ping() override;
    void close() override {}

private:
    struct progress_record {
        stored_progress progress;
        wall_time expires_at;
    };
    struct log_record {
        std::vector<std::string> entries;
        wall_time expires_at;
        std::size_t bytes = 0;  ///< of the log's JSON array text, "[…]"
    };
    struct key_record {
        std::string digest;
        wall_time expires_at;
    };
    /// Everything of one session; a part is absent once purged, the record once all three are.
    struct session_record {
        std::optional<progress_record> progress;
        std::optional<log_record> log;
        std::optional<key_record> key;
    };
    /// What a record adds to the counters.
    struct census {
        bool progress = false;
        bool session = false;  ///< progress or log: a session for the quota
    };
    static census census_of(const session_record& r) {
        return {r.progress.has_value(), r.progress || r.log};
    }

    /// Caller holds mutex_ for all of these.
    void purge_periodically_locked(wall_time now);
    void purge_exactly_locked(wall_time now);
    void purge_all_locked(wall_time now);
    void recount_locked(census before, census after);
    void note_expiry_locked(wall_time expires_at);
    boost::system::error_code admit_locked(const std::string& session_id, wall_time now);
    /// Replaces the progress and returns its new version.
    std::uint64_t write_locked(std::string session_id, std::string progress_json,
                               wall_time expires_at);

    const clock& clock_;
    const memory_options options_;
    std::mutex mutex_;
    std::map<std::string, session_record, std::less<>> sessions_;
    std::uint64_t stored_progress_ = 0;  ///< records with a progress, expired or not
    std::uint64_t stored_sessions_ = 0;  ///< records with a progress or a log, expired or not
    wall_time earliest_expiry_ = wall_time::max();  ///< no stored part expires before this
    wall_time next_purge_{};
};

}  // namespace progressd::store
