// `sqlite:PATH` — the embedded, persistent store. The schema is documented in docs/storage.md.
//
// DESIGN. One writer thread owns the only writing connection. Requests queue their writes; the
// writer takes everything queued, runs it in one transaction (group commit) and completes every
// request of the batch only after COMMIT returns, so an acknowledged write survives `kill -9`
// (and, with `fsync` durability, power loss). A statement that fails rolls the batch back and
// its writes are retried one per transaction, so one bad write fails alone. Between batches the
// writer purges expired rows in small steps, back to back while there is a backlog. Reads run on
// the caller's thread with connections from a small pool: in WAL mode they never wait for the
// writer, and a point lookup costs a few microseconds of CPU, less than handing it to another
// thread would.
//
// Counting. The writer keeps two counters of stored rows, expired or not: progress rows, and
// sessions (ids with a progress or a log row). It starts them with one count at open and moves
// them with each write, deletion and purge it commits. count() subtracts the progress rows that
// expired but are not purged yet (an index range the purge keeps short); the session quota
// compares the session counter, and purges everything expired first when it is at the quota.
#pragma once

#include "store/progress_cache.hpp"
#include "store/store.hpp"
#include "store/work_queue.hpp"
#include "util/clock.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace progressd::store {

struct sqlite_options {
    std::string path;
    /// false: a commit is durable against a crash of the process (WAL, synchronous=NORMAL);
    /// true: also against power loss (synchronous=FULL, one fsync per group commit).
    bool fsync = false;
    std::chrono::seconds purge_interval{10};
    /// Sessions kept in memory in front of SQLite for reads (about 1 KiB each).
    std::size_t cached_sessions = 4096;
    /// An append to a log that holds this many entries fails with store_errc::log_full.
    std::uint64_t max_log_entries = 1000;
    /// An append that would make the log's JSON array text longer than this many bytes fails
    /// with store_errc::log_too_large.
    std::uint64_t max_log_bytes = std::uint64_t{1} << 20;
    /// A write that would create a session beyond this many live ones fails with
    /// store_errc::storage_full.
    std::uint64_t max_sessions = 1000000;
};

class sqlite_store final : public store {
public:
    /// Opens or creates the database. Throws std::runtime_error naming the path on failure.
    sqlite_store(sqlite_options options, const clock& clock);
    ~sqlite_store() override;

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
    std::optional<std::uint64_t> published_count() const override;
    boost::asio::awaitable<result<std::string>> claim_write_key(std::string session_id,
                                                                std::string key_digest,
                                                                std::chrono::seconds ttl) override;
    boost::asio::awaitable<result<void>> ping() override;
    void close() override;

    /// Deletes every expired row now instead of waiting for the writer's next purge. For tests.
    void purge_now();

    struct put_op {
        std::string session_id;
        std::string json;
        std::chrono::seconds ttl;
    };
    struct put_if_op {
        put_op put;
        std::optional<std::uint64_t> expected;
    };
    struct append_op {
        std::string session_id;
        std::string json;
        std::chrono::seconds ttl;
    };
    struct remove_op {
        std::string session_id;
    };
    struct claim_op {
        std::string session_id;
        std::string digest;
        std::chrono::seconds ttl;
    };
    struct count_op {};
    /// `everything`: until no expired row is left; otherwise one bounded step, answering 1 when
    /// a step was full (more may be left) and 0 otherwise.
    struct purge_op {
        bool everything = false;
    };
    /// What the writer thread runs: the writes, and count(), which needs the writer's counters.
    using write_op =
        std::variant<put_op, put_if_op, append_op, remove_op, claim_op, count_op, purge_op>;
    /// A version or a count, remove's answer, or claim's digest.
    using write_value = std::variant<std::uint64_t, bool, std::string>;
    struct write_job {
        write_op op;
        std::function<void(result<write_value>)> complete;  ///< store::completion
    };

private:
    struct writer_state;
    struct reader;
    class reader_lease;
    struct session_rows;
    struct counters {
        std::int64_t progress_rows = 0;
        std::int64_t sessions = 0;
    };

    template <class T>
    boost::asio::awaitable<result<T>> submit(write_op op);
    void enqueue(write_job job);
    void run_writer();
    void commit_batch(std::vector<write_job>& batch);
    bool try_transaction(std::span<write_job> jobs, std::span<result<write_value>> results);
    void update_cache(const write_op& op, const result<write_value>& outcome, wall_time now);
    result<write_value> apply(const write_op& op, wall_time now);
    // `expected`: nullopt for a plain put; for put_if, the version it must find, where an inner
    // nullopt means "absent".
    result<write_value> apply_put(const put_op& put,
                                  std::optional<std::optional<std::uint64_t>> expected,
                                  wall_time now);
    result<write_value> apply_append(const append_op& append, wall_time now);
    result<write_value> apply_remove(const remove_op& remove, wall_time now);
    result<write_value> apply_claim(const claim_op& claim, wall_time now);
    result<write_value> apply_count(wall_time now);
    session_rows read_session(const std::string& session_id);
    boost::system::error_code admit(const std::string& session_id, session_rows& rows,
                                    wall_time now);
    std::uint64_t upsert(const put_op& put, wall_time now);
    bool purge_expired(wall_time now);
    void start_counters();

    sqlite_options options_;
    const clock& clock_;
    std::unique_ptr<writer_state> writer_;
    counters committed_;  ///< writer thread only, like pending_
    counters pending_;    ///< committed_ plus the changes of the open transaction
    /// committed_.progress_rows, for readers on other threads (published_count()).
    std::atomic<std::int64_t> published_progress_rows_{0};

    work_queue<write_job> queue_;
    std::atomic<bool> closed_{false};
    std::thread writer_thread_;

    progress_cache cache_;

    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<reader>> idle_readers_;
};

}  // namespace progressd::store
