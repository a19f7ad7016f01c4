// `sqlite:PATH` — the embedded, persistent store. The schema is documented in docs/storage.md.
//
// DESIGN. One writer thread owns the only writing connection. Requests queue their writes; the
// writer takes everything queued, runs it in one transaction (group commit) and completes every
// request of the batch only after COMMIT returns, so an acknowledged write survives `kill -9`
// (and, with `fsync` durability, power loss). A statement that fails rolls the batch back and
// its writes are retried one per transaction, so one bad write fails alone. Between batches the
// writer purges expired rows in small steps. Reads run on the caller's thread with connections
// from a small pool: in WAL mode they never wait for the writer, and a point lookup costs a few
// microseconds of CPU, less than handing it to another thread would.
#pragma once

#include "store/progress_cache.hpp"
#include "store/store.hpp"
#include "util/clock.hpp"

#include <condition_variable>
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
    struct purge_op {};
    using write_op = std::variant<put_op, put_if_op, append_op, purge_op>;
    struct write_job {
        write_op op;
        std::function<void(result<std::uint64_t>)> complete;  ///< store::completion
    };

private:
    struct writer_state;
    struct reader;
    class reader_lease;

    boost::asio::awaitable<result<std::uint64_t>> submit(write_op op);
    void enqueue(write_job job);
    void run_writer();
    void commit_batch(std::vector<write_job>& batch);
    bool try_transaction(std::span<write_job> jobs, std::span<result<std::uint64_t>> results);
    result<std::uint64_t> apply(const write_op& op, wall_time now);
    std::uint64_t upsert(const put_op& put, wall_time now);
    std::uint64_t purge_expired(wall_time now);

    sqlite_options options_;
    const clock& clock_;
    std::unique_ptr<writer_state> writer_;

    std::mutex queue_mutex_;
    std::condition_variable queue_ready_;
    std::vector<write_job> queue_;
    bool stopping_ = false;
    std::thread writer_thread_;

    progress_cache cache_;

    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<reader>> idle_readers_;
};

}  // namespace progressd::store
