#include "store/sqlite_store.hpp"

#include "store/sqlite_handle.hpp"
#include "store/worker_completion.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>

namespace progressd::store {
namespace net = boost::asio;

namespace {

constexpr std::string_view schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS progress (
    session_id TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS progress_by_expiry ON progress (expires_at);
CREATE TABLE IF NOT EXISTS error_log (
    session_id TEXT PRIMARY KEY,
    entries    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS error_log_by_expiry ON error_log (expires_at);
CREATE TABLE IF NOT EXISTS error_log_entry (
    session_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    entry      TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
PRAGMA user_version = 1;
)sql";

// Rows deleted per purge statement: small enough that a purge step never delays a batch of
// writes by more than about a millisecond.
constexpr int purge_step_rows = 1000;

std::int64_t unix_ms(wall_time t) { return to_unix_ms(t); }

boost::system::error_code to_store_error(const sqlite_error& e) {
    switch (e.code()) {
        case SQLITE_FULL:
            return store_errc::storage_full;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return store_errc::unavailable;
        default:
            return store_errc::io_error;
    }
}

void configure(sqlite_connection& db) {
    db.execute("PRAGMA busy_timeout = 5000");
    db.execute("PRAGMA foreign_keys = OFF");
}

}  // namespace

//------------------------------------------------------------------------------
// Connections and their prepared statements

struct sqlite_store::writer_state {
    explicit writer_state(const sqlite_options& options) : db(options.path, true) {
        configure(db);
        // auto_vacuum takes effect only before the first table exists; on an existing file it
        // is a no-op, which is what we want.
        db.execute("PRAGMA auto_vacuum = INCREMENTAL");
        db.execute("PRAGMA journal_mode = WAL");
        db.execute(options.fsync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        db.execute(schema_sql);
        begin = {db.get(), "BEGIN IMMEDIATE"};
        commit = {db.get(), "COMMIT"};
        rollback = {db.get(), "ROLLBACK"};
        upsert_progress = {db.get(), R"sql(
            INSERT INTO progress (session_id, data, version, updated_at, expires_at)
            VALUES (?1, ?2, 1, ?3, ?4)
            ON CONFLICT (session_id) DO UPDATE SET
                data = excluded.data, version = progress.version + 1,
                updated_at = excluded.updated_at, expires_at = excluded.expires_at
            RETURNING version)sql"};
        // An expired log starts again from one entry; its old entries go in the same step.
        upsert_log = {db.get(), R"sql(
            INSERT INTO error_log (session_id, entries, expires_at) VALUES (?1, 1, ?3)
            ON CONFLICT (session_id) DO UPDATE SET
                entries = CASE WHEN error_log.expires_at > ?2 THEN error_log.entries + 1 ELSE 1 END,
                expires_at = excluded.expires_at
            RETURNING entries)sql"};
        clear_log_entries = {db.get(), "DELETE FROM error_log_entry WHERE session_id = ?1"};
        current_version = {
            db.get(), "SELECT version FROM progress WHERE session_id = ?1 AND expires_at > ?2"};
        insert_log_entry = {
            db.get(), "INSERT INTO error_log_entry (session_id, seq, entry) VALUES (?1, ?2, ?3)"};
        purge_progress = {db.get(), R"sql(
            DELETE FROM progress WHERE rowid IN
                (SELECT rowid FROM progress WHERE expires_at <= ?1 LIMIT ?2))sql"};
        purge_log_entries = {db.get(), R"sql(
            DELETE FROM error_log_entry WHERE session_id IN
                (SELECT session_id FROM error_log WHERE expires_at <= ?1
                 ORDER BY expires_at, session_id LIMIT ?2))sql"};
        purge_logs = {db.get(), R"sql(
            DELETE FROM error_log WHERE session_id IN
                (SELECT session_id FROM error_log WHERE expires_at <= ?1
                 ORDER BY expires_at, session_id LIMIT ?2))sql"};
        incremental_vacuum = {db.get(), "PRAGMA incremental_vacuum(512)"};
    }

    sqlite_connection db;
    sqlite_statement begin, commit, rollback;
    sqlite_statement upsert_progress, upsert_log, clear_log_entries, insert_log_entry;
    sqlite_statement current_version;
    sqlite_statement purge_progress, purge_log_entries, purge_logs, incremental_vacuum;
};

struct sqlite_store::reader {
    explicit reader(const std::string& path) : db(path, false) {
        configure(db);
        db.execute("PRAGMA query_only = ON");
        get_progress = {db.get(),
                        "SELECT data, version, expires_at FROM progress WHERE session_id = ?1 AND "
                        "expires_at > ?2"};
        get_log = {db.get(), R"sql(
            SELECT e.entry FROM error_log l JOIN error_log_entry e ON e.session_id = l.session_id
            WHERE l.session_id = ?1 AND l.expires_at > ?2 ORDER BY e.seq)sql"};
        ping = {db.get(), "SELECT count(*) FROM sqlite_master"};
    }

    sqlite_connection db;
    sqlite_statement get_progress, get_log, ping;
};

// Borrows a reader from the pool (opening one when all are busy) and returns it on destruction.
class sqlite_store::reader_lease {
public:
    explicit reader_lease(sqlite_store& store) : store_(store) {
        {
            const std::lock_guard lock(store_.readers_mutex_);
            if (!store_.idle_readers_.empty()) {
                reader_ = std::move(store_.idle_readers_.back());
                store_.idle_readers_.pop_back();
            }
        }
        if (!reader_) reader_ = std::make_unique<reader>(store_.options_.path);
    }
    ~reader_lease() {
        const std::lock_guard lock(store_.readers_mutex_);
        store_.idle_readers_.push_back(std::move(reader_));
    }
    reader_lease(const reader_lease&) = delete;
    reader_lease& operator=(const reader_lease&) = delete;

    reader* operator->() const { return reader_.get(); }

private:
    sqlite_store& store_;
    std::unique_ptr<reader> reader_;
};

//------------------------------------------------------------------------------
// Lifetime

sqlite_store::sqlite_store(sqlite_options options, const clock& clock)
    : options_(std::move(options)), clock_(clock), cache_(options_.cached_sessions) {
    // SQLite's memory statistics take a global mutex on every allocation, which every reader
    // thread would contend on; nothing here reads them. Must precede sqlite3_initialize, so it
    // only takes effect when this is the first store of the process (it is, in progressd).
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    const auto directory = std::filesystem::path(options_.path).parent_path();
    std::error_code ec;
    if (!directory.empty()) std::filesystem::create_directories(directory, ec);
    if (ec) {
        throw std::runtime_error("cannot create data directory " + directory.string() + ": " +
                                 ec.message());
    }
    try {
        writer_ = std::make_unique<writer_state>(options_);
        reader_lease probe(*this);  // fail at startup, not at the first GET
    } catch (const sqlite_error& e) {
        throw std::runtime_error(std::string("cannot use database ") + options_.path + ": " +
                                 e.what());
    }
    writer_thread_ = std::thread([this] { run_writer(); });
}

sqlite_store::~sqlite_store() { close(); }

void sqlite_store::close() {
    {
        const std::lock_guard lock(queue_mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    queue_ready_.notify_one();
    if (writer_thread_.joinable()) writer_thread_.join();
    const std::lock_guard lock(readers_mutex_);
    idle_readers_.clear();
    writer_.reset();  // closes the last connection, which checkpoints and removes the WAL
}

//------------------------------------------------------------------------------
// Reads: on the caller's thread

net::awaitable<result<stored_progress>> sqlite_store::get(std::string session_id) {
    const auto now = unix_ms(clock_.now());
    if (auto cached = cache_.get(session_id, now)) co_return std::move(*cached);
    try {
        reader_lease r(*this);
        statement_scope scope(r->get_progress);
        r->get_progress.bind(1, session_id).bind(2, now);
        if (!r->get_progress.step()) co_return store_errc::not_found;
        stored_progress found{std::string(r->get_progress.column_text(0)),
                              static_cast<std::uint64_t>(r->get_progress.column_int(1))};
        cache_.fill(session_id, found, r->get_progress.column_int(2), now);
        co_return found;
    } catch (const sqlite_error& e) {
        spdlog::error("sqlite read failed: {}", e.what());
        co_return to_store_error(e);
    }
}

net::awaitable<result<std::string>> sqlite_store::get_log(std::string session_id) {
    try {
        reader_lease r(*this);
        statement_scope scope(r->get_log);
        r->get_log.bind(1, session_id).bind(2, unix_ms(clock_.now()));
        std::string array = "[";
        while (r->get_log.step()) {
            if (array.size() > 1) array += ',';
            array += r->get_log.column_text(0);
        }
        array += ']';
        co_return array;
    } catch (const sqlite_error& e) {
        spdlog::error("sqlite read failed: {}", e.what());
        co_return to_store_error(e);
    }
}

net::awaitable<result<void>> sqlite_store::ping() {
    try {
        reader_lease r(*this);
        statement_scope scope(r->ping);
        r->ping.step();
        co_return result<void>{};
    } catch (const sqlite_error& e) {
        co_return to_store_error(e);
    }
}

//------------------------------------------------------------------------------
// Writes: queued to the writer thread

net::awaitable<result<std::uint64_t>> sqlite_store::put(std::string session_id,
                                                        std::string progress_json,
                                                        std::chrono::seconds ttl) {
    return submit(put_op{std::move(session_id), std::move(progress_json), ttl});
}

net::awaitable<result<std::uint64_t>> sqlite_store::put_if(std::string session_id,
                                                           std::string progress_json,
                                                           std::chrono::seconds ttl,
                                                           std::optional<std::uint64_t> expected) {
    return submit(put_if_op{{std::move(session_id), std::move(progress_json), ttl}, expected});
}

net::awaitable<result<std::uint64_t>> sqlite_store::append_log(std::string session_id,
                                                               std::string entry_json,
                                                               std::chrono::seconds ttl) {
    return submit(append_op{std::move(session_id), std::move(entry_json), ttl});
}

void sqlite_store::purge_now() {
    std::promise<void> done;
    enqueue(write_job{purge_op{}, [&done](const result<std::uint64_t>&) { done.set_value(); }});
    done.get_future().wait();
}

net::awaitable<result<std::uint64_t>> sqlite_store::submit(write_op op) {
    return resume_when_done<std::uint64_t>(
        [this, op = std::move(op)](completion<std::uint64_t> done) mutable {
            enqueue(write_job{std::move(op), std::move(done)});
        });
}

void sqlite_store::enqueue(write_job job) {
    bool accepted = false;
    {
        const std::lock_guard lock(queue_mutex_);
        if (!stopping_) {
            queue_.push_back(std::move(job));
            accepted = true;
        }
    }
    if (accepted) {
        queue_ready_.notify_one();
    } else if (job.complete) {
        // The store is closing: answer at once instead of leaving the caller hanging.
        job.complete(store_errc::unavailable);
    }
}

//------------------------------------------------------------------------------
// The writer thread

void sqlite_store::run_writer() {
    std::vector<write_job> batch;
    wall_time next_purge = clock_.now() + options_.purge_interval;
    for (;;) {
        {
            std::unique_lock lock(queue_mutex_);
            queue_ready_.wait_for(lock, options_.purge_interval,
                                  [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty() && stopping_) return;
            batch.swap(queue_);
        }
        if (!batch.empty()) commit_batch(batch);
        batch.clear();

        const wall_time now = clock_.now();
        if (now >= next_purge) {
            std::vector<write_job> purge;
            purge.push_back(write_job{purge_op{}, nullptr});
            commit_batch(purge);
            next_purge = now + options_.purge_interval;
        }
    }
}

void sqlite_store::commit_batch(std::vector<write_job>& batch) {
    std::vector<result<std::uint64_t>> results(batch.size(), std::uint64_t{0});
    if (!try_transaction(batch, results) && batch.size() > 1) {
        // Isolate the failure: each write in a transaction of its own.
        for (std::size_t i = 0; i < batch.size(); ++i) {
            try_transaction(std::span(batch).subspan(i, 1), std::span(results).subspan(i, 1));
        }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].complete) batch[i].complete(results[i]);
    }
}

// Runs `jobs` in one transaction. On failure every result becomes the error and it returns false.
bool sqlite_store::try_transaction(std::span<write_job> jobs,
                                   std::span<result<std::uint64_t>> results) {
    auto& w = *writer_;
    const wall_time now = clock_.now();
    try {
        {
            statement_scope scope(w.begin);
            w.begin.step();
        }
        for (std::size_t i = 0; i < jobs.size(); ++i) results[i] = apply(jobs[i].op, now);
        {
            statement_scope scope(w.commit);
            w.commit.step();
        }
        // Committed: readers may now see it, and must before the writes are answered.
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            const put_op* put = std::get_if<put_op>(&jobs[i].op);
            if (const auto* conditional = std::get_if<put_if_op>(&jobs[i].op)) {
                put = &conditional->put;
            }
            if (put != nullptr && results[i]) {
                cache_.write(put->session_id, {put->json, *results[i]}, unix_ms(now + put->ttl));
            }
        }
        return true;
    } catch (const sqlite_error& e) {
        spdlog::error("sqlite write of {} operation(s) failed: {}", jobs.size(), e.what());
        if (!sqlite3_get_autocommit(w.db.get())) {
            statement_scope scope(w.rollback);
            try {
                w.rollback.step();
            } catch (const sqlite_error& rollback_error) {
                spdlog::error("sqlite rollback failed: {}", rollback_error.what());
            }
        }
        for (auto& r : results) r = to_store_error(e);
        return false;
    }
}

std::uint64_t sqlite_store::upsert(const put_op& put, wall_time now) {
    auto& w = *writer_;
    statement_scope scope(w.upsert_progress);
    w.upsert_progress.bind(1, put.session_id)
        .bind(2, put.json)
        .bind(3, unix_ms(now))
        .bind(4, unix_ms(now + put.ttl));
    w.upsert_progress.step();
    return static_cast<std::uint64_t>(w.upsert_progress.column_int(0));
}

result<std::uint64_t> sqlite_store::apply(const write_op& op, wall_time now) {
    auto& w = *writer_;
    if (const auto* put = std::get_if<put_op>(&op)) return upsert(*put, now);
    if (const auto* conditional = std::get_if<put_if_op>(&op)) {
        // Inside the batch's transaction on the only writing connection: nothing can change the
        // row between this check and the upsert.
        std::optional<std::uint64_t> current;
        {
            statement_scope scope(w.current_version);
            w.current_version.bind(1, conditional->put.session_id).bind(2, unix_ms(now));
            if (w.current_version.step()) {
                current = static_cast<std::uint64_t>(w.current_version.column_int(0));
            }
        }
        if (current != conditional->expected) return store_errc::conflict;
        return upsert(conditional->put, now);
    }
    if (const auto* append = std::get_if<append_op>(&op)) {
        std::int64_t entries = 0;
        {
            statement_scope scope(w.upsert_log);
            w.upsert_log.bind(1, append->session_id)
                .bind(2, unix_ms(now))
                .bind(3, unix_ms(now + append->ttl));
            w.upsert_log.step();
            entries = w.upsert_log.column_int(0);
        }
        if (entries == 1) {  // a new or restarted log: drop what an expired one left behind
            statement_scope scope(w.clear_log_entries);
            w.clear_log_entries.bind(1, append->session_id);
            w.clear_log_entries.step();
        }
        statement_scope scope(w.insert_log_entry);
        w.insert_log_entry.bind(1, append->session_id).bind(2, entries).bind(3, append->json);
        w.insert_log_entry.step();
        return static_cast<std::uint64_t>(entries);
    }
    return purge_expired(now);
}

// Deletes expired rows, a bounded number per call; returns how many progress rows went.
std::uint64_t sqlite_store::purge_expired(wall_time now) {
    auto& w = *writer_;
    const auto run = [&](sqlite_statement& s) {
        statement_scope scope(s);
        s.bind(1, unix_ms(now)).bind(2, std::int64_t{purge_step_rows});
        s.step();
        return sqlite3_changes64(w.db.get());
    };
    const auto removed = run(w.purge_progress);
    run(w.purge_log_entries);
    run(w.purge_logs);
    statement_scope scope(w.incremental_vacuum);
    while (w.incremental_vacuum.step()) {
    }
    return static_cast<std::uint64_t>(removed);
}

}  // namespace progressd::store
