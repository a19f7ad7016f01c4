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
    expires_at INTEGER NOT NULL,
    bytes      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS error_log_by_expiry ON error_log (expires_at);
CREATE TABLE IF NOT EXISTS error_log_entry (
    session_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    entry      TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS write_keys (
    session_id TEXT PRIMARY KEY,
    digest     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS write_keys_by_expiry ON write_keys (expires_at);
PRAGMA user_version = 3;
)sql";

// Version 2 files lack error_log.bytes (the length of the log's JSON array text, for the byte
// quota): add it and count each log once, as "[" + entries joined by "," + "]".
constexpr std::string_view add_log_bytes_sql = R"sql(
ALTER TABLE error_log ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
UPDATE error_log SET bytes = (
    SELECT coalesce(sum(length(CAST(e.entry AS BLOB))) + count(*) + 1, 2)
    FROM error_log_entry e WHERE e.session_id = error_log.session_id);
)sql";

void migrate(sqlite_connection& db) {
    bool current = false;
    {
        sqlite_statement has_bytes{
            db.get(), "SELECT 1 FROM pragma_table_info('error_log') WHERE name = 'bytes'"};
        current = has_bytes.step();
    }
    if (!current) db.execute(add_log_bytes_sql);
}

// Rows deleted per purge statement: small enough that a purge step never delays a batch of
// writes by more than about a millisecond.
constexpr int purge_step_rows = 1000;

std::int64_t unix_ms(wall_time t) { return to_unix_ms(t); }

// Whole seconds until `expires_at_ms`, rounded up so that a live session never shows 0.
std::chrono::seconds seconds_until(std::int64_t expires_at_ms, std::int64_t now_ms) {
    return std::chrono::seconds((expires_at_ms - now_ms + 999) / 1000);
}

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
        // A checkpoint rewinds the WAL but leaves the file at its longest: after a burst, or a
        // reader that held checkpoints back, it would keep that size on disk for good. Cut it
        // back to what the automatic checkpoint lets it reach anyway (1,000 pages), so that the
        // steady state never pays for truncating and growing the file again.
        db.execute("PRAGMA journal_size_limit = 4194304");
        db.execute(options.fsync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        db.execute(schema_sql);
        migrate(db);
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
            INSERT INTO error_log (session_id, entries, expires_at, bytes) VALUES (?1, 1, ?3, ?4)
            ON CONFLICT (session_id) DO UPDATE SET
                entries = CASE WHEN error_log.expires_at > ?2 THEN error_log.entries + 1 ELSE 1 END,
                expires_at = excluded.expires_at, bytes = excluded.bytes
            RETURNING entries)sql"};
        clear_log_entries = {db.get(), "DELETE FROM error_log_entry WHERE session_id = ?1"};
        insert_log_entry = {
            db.get(), "INSERT INTO error_log_entry (session_id, seq, entry) VALUES (?1, ?2, ?3)"};
        // Expired or not: the rows as stored, for the counters and the quotas.
        find_session = {db.get(), R"sql(
            SELECT p.version, p.expires_at, l.entries, l.expires_at, l.bytes
            FROM (SELECT ?1 AS id) AS s
            LEFT JOIN progress p ON p.session_id = s.id
            LEFT JOIN error_log l ON l.session_id = s.id)sql"};
        delete_progress = {db.get(), "DELETE FROM progress WHERE session_id = ?1"};
        delete_log = {db.get(), "DELETE FROM error_log WHERE session_id = ?1"};
        delete_write_key = {db.get(), "DELETE FROM write_keys WHERE session_id = ?1"};
        // An expired key counts as none: the caller claims the session afresh.
        claim_write_key = {db.get(), R"sql(
            INSERT INTO write_keys (session_id, digest, expires_at) VALUES (?1, ?2, ?4)
            ON CONFLICT (session_id) DO UPDATE SET
                digest = CASE WHEN write_keys.expires_at > ?3 THEN write_keys.digest
                              ELSE excluded.digest END,
                expires_at = excluded.expires_at
            RETURNING digest)sql"};
        count_progress_rows = {db.get(), "SELECT count(*) FROM progress"};
        count_log_only_sessions = {db.get(), R"sql(
            SELECT count(*) FROM error_log l
            WHERE NOT EXISTS (SELECT 1 FROM progress p WHERE p.session_id = l.session_id))sql"};
        count_expired_progress = {db.get(), "SELECT count(*) FROM progress WHERE expires_at <= ?1"};
        has_progress_row = {db.get(), "SELECT 1 FROM progress WHERE session_id = ?1"};
        has_log_row = {db.get(), "SELECT 1 FROM error_log WHERE session_id = ?1"};
        // Each purge statement names the sessions it deleted, for the counters.
        purge_progress = {db.get(), R"sql(
            DELETE FROM progress WHERE rowid IN
                (SELECT rowid FROM progress WHERE expires_at <= ?1 LIMIT ?2)
            RETURNING session_id)sql"};
        purge_log_entries = {db.get(), R"sql(
            DELETE FROM error_log_entry WHERE session_id IN
                (SELECT session_id FROM error_log WHERE expires_at <= ?1
                 ORDER BY expires_at, session_id LIMIT ?2))sql"};
        purge_logs = {db.get(), R"sql(
            DELETE FROM error_log WHERE session_id IN
                (SELECT session_id FROM error_log WHERE expires_at <= ?1
                 ORDER BY expires_at, session_id LIMIT ?2)
            RETURNING session_id)sql"};
        purge_write_keys = {db.get(), R"sql(
            DELETE FROM write_keys WHERE session_id IN
                (SELECT session_id FROM write_keys WHERE expires_at <= ?1
                 ORDER BY expires_at, session_id LIMIT ?2))sql"};
        incremental_vacuum = {db.get(), "PRAGMA incremental_vacuum(512)"};
    }

    sqlite_connection db;
    sqlite_statement begin, commit, rollback;
    sqlite_statement upsert_progress, upsert_log, clear_log_entries, insert_log_entry;
    sqlite_statement find_session, delete_progress, delete_log, delete_write_key;
    sqlite_statement claim_write_key;
    sqlite_statement count_progress_rows, count_log_only_sessions, count_expired_progress;
    sqlite_statement has_progress_row, has_log_row;
    sqlite_statement purge_progress, purge_log_entries, purge_logs, purge_write_keys;
    sqlite_statement incremental_vacuum;
};

// What the writer finds of one session before it writes: the rows as stored, expired or not.
struct sqlite_store::session_rows {
    std::optional<std::uint64_t> version;  ///< of the progress row
    std::int64_t progress_expires_at = 0;
    std::optional<std::uint64_t> log_entries;  ///< of the error_log row
    std::int64_t log_expires_at = 0;
    std::int64_t log_bytes = 0;  ///< of the log's JSON array text

    bool live_progress(std::int64_t now_ms) const {
        return version && progress_expires_at > now_ms;
    }
    bool live_log(std::int64_t now_ms) const { return log_entries && log_expires_at > now_ms; }
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
        // In primary key order, so a page costs `limit` index steps however many rows there
        // are; the unary + keeps SQLite from choosing the expiry index and sorting instead.
        list_progress = {db.get(), R"sql(
            SELECT session_id, data, version, expires_at FROM progress
            WHERE session_id > ?1 AND +expires_at > ?2 ORDER BY session_id LIMIT ?3)sql"};
        ping = {db.get(), "SELECT count(*) FROM sqlite_master"};
    }

    sqlite_connection db;
    sqlite_statement get_progress, get_log, list_progress, ping;
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
    : options_(std::move(options)),
      clock_(clock),
      queue_(work_queue_limits{},
             [](write_job& job, store_errc e) {
                 if (job.complete) job.complete(e);
             }),
      cache_(options_.cached_sessions) {
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
        start_counters();
        reader_lease probe(*this);  // fail at startup, not at the first GET
    } catch (const sqlite_error& e) {
        throw std::runtime_error(std::string("cannot use database ") + options_.path + ": " +
                                 e.what());
    }
    writer_thread_ = std::thread([this] { run_writer(); });
}

sqlite_store::~sqlite_store() { close(); }

// One count of the whole database, at open; from then on the writer keeps the counters.
void sqlite_store::start_counters() {
    auto& w = *writer_;
    const auto count = [](sqlite_statement& s) {
        statement_scope scope(s);
        s.step();
        return s.column_int(0);
    };
    committed_.progress_rows = count(w.count_progress_rows);
    committed_.sessions = committed_.progress_rows + count(w.count_log_only_sessions);
    published_progress_rows_ = committed_.progress_rows;
    pending_ = committed_;
}

void sqlite_store::close() {
    if (closed_.exchange(true)) return;
    queue_.close();  // the writer commits what is queued, then ends
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
    const auto ticket = cache_.take_ticket(session_id);  // before the read transaction begins
    try {
        reader_lease r(*this);
        statement_scope scope(r->get_progress);
        r->get_progress.bind(1, session_id).bind(2, now);
        if (!r->get_progress.step()) co_return store_errc::not_found;
        stored_progress found{std::string(r->get_progress.column_text(0)),
                              static_cast<std::uint64_t>(r->get_progress.column_int(1))};
        cache_.fill(session_id, found, r->get_progress.column_int(2), now, ticket);
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

net::awaitable<result<store::session_page>> sqlite_store::list(std::string cursor,
                                                               std::size_t limit) {
    try {
        reader_lease r(*this);
        auto& s = r->list_progress;
        statement_scope scope(s);
        const auto now = unix_ms(clock_.now());
        // The cursor is the last id returned ("" sorts before every id).
        s.bind(1, cursor).bind(2, now).bind(3, static_cast<std::int64_t>(limit));
        session_page page;
        while (s.step()) {
            page.sessions.push_back(
                {std::string(s.column_text(0)),
                 {std::string(s.column_text(1)), static_cast<std::uint64_t>(s.column_int(2))},
                 seconds_until(s.column_int(3), now)});
        }
        if (!page.sessions.empty() && page.sessions.size() == limit) {
            page.next_cursor = page.sessions.back().session_id;
        }
        co_return page;
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
    return submit<std::uint64_t>(put_op{std::move(session_id), std::move(progress_json), ttl});
}

net::awaitable<result<std::uint64_t>> sqlite_store::put_if(std::string session_id,
                                                           std::string progress_json,
                                                           std::chrono::seconds ttl,
                                                           std::optional<std::uint64_t> expected) {
    return submit<std::uint64_t>(
        put_if_op{{std::move(session_id), std::move(progress_json), ttl}, expected});
}

net::awaitable<result<std::uint64_t>> sqlite_store::append_log(std::string session_id,
                                                               std::string entry_json,
                                                               std::chrono::seconds ttl) {
    return submit<std::uint64_t>(append_op{std::move(session_id), std::move(entry_json), ttl});
}

net::awaitable<result<bool>> sqlite_store::remove(std::string session_id) {
    return submit<bool>(remove_op{std::move(session_id)});
}

// On the writer, whose counters know the stored rows: only the expired ones are counted here.
net::awaitable<result<std::uint64_t>> sqlite_store::count() {
    return submit<std::uint64_t>(count_op{});
}

std::optional<std::uint64_t> sqlite_store::published_count() const {
    return static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, published_progress_rows_.load(std::memory_order_relaxed)));
}

net::awaitable<result<std::string>> sqlite_store::claim_write_key(std::string session_id,
                                                                  std::string key_digest,
                                                                  std::chrono::seconds ttl) {
    return submit<std::string>(claim_op{std::move(session_id), std::move(key_digest), ttl});
}

void sqlite_store::purge_now() {
    auto done = std::make_shared<std::promise<void>>();
    auto purged = done->get_future();
    enqueue(write_job{purge_op{true}, [done](const result<write_value>&) { done->set_value(); }});
    purged.wait();
}

// Not a coroutine itself: as one, co_awaiting resume_when_done on a temporary lambda, GCC 12
// built code that freed the captured operation's strings twice (found with ASan).
template <class T>
net::awaitable<result<T>> sqlite_store::submit(write_op op) {
    return resume_when_done<T>([this, op = std::move(op)](completion<T> done) mutable {
        enqueue(write_job{std::move(op), [done = std::move(done)](result<write_value> outcome) {
                              // in_place_error: an error_code converts to bool, which would
                              // make result<bool> ambiguous.
                              if (!outcome) {
                                  return done(
                                      result<T>(boost::system::in_place_error, outcome.error()));
                              }
                              done(std::get<T>(std::move(*outcome)));
                          }});
    });
}

void sqlite_store::enqueue(write_job job) { queue_.push(std::move(job)); }

//------------------------------------------------------------------------------
// The writer thread

void sqlite_store::run_writer() {
    std::vector<write_job> batch;
    wall_time next_purge = clock_.now() + options_.purge_interval;
    bool backlog = false;  // the last purge step was full: take the next one after the next batch
    for (;;) {
        // Everything queued: one transaction for the whole backlog (group commit).
        const auto idle = backlog ? std::chrono::steady_clock::duration::zero()
                                  : std::chrono::steady_clock::duration(options_.purge_interval);
        if (queue_.take(batch, SIZE_MAX, idle) == work_queue<write_job>::taken::closed) return;
        if (!batch.empty()) commit_batch(batch);
        batch.clear();

        const wall_time now = clock_.now();
        if (backlog || now >= next_purge) {
            std::vector<write_job> purge;
            purge.push_back(write_job{purge_op{}, [&backlog](const result<write_value>& full) {
                                          backlog = full && std::get<std::uint64_t>(*full) != 0;
                                      }});
            commit_batch(purge);
            next_purge = now + options_.purge_interval;
        }
    }
}

void sqlite_store::commit_batch(std::vector<write_job>& batch) {
    std::vector<result<write_value>> results(batch.size(), write_value{});
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

namespace {

// The session whose cached progress an operation may change, or nullptr.
const std::string* cached_session_of(const sqlite_store::write_op& op) {
    if (const auto* put = std::get_if<sqlite_store::put_op>(&op)) return &put->session_id;
    if (const auto* conditional = std::get_if<sqlite_store::put_if_op>(&op)) {
        return &conditional->put.session_id;
    }
    if (const auto* remove = std::get_if<sqlite_store::remove_op>(&op)) {
        return &remove->session_id;
    }
    return nullptr;
}

// Brackets a COMMIT for the cache (progress_cache::begin_write/end_write), on every path out.
class cache_write_scope {
public:
    cache_write_scope(progress_cache& cache, std::span<sqlite_store::write_job> jobs)
        : cache_(cache), jobs_(jobs) {
        for (const auto& job : jobs_) {
            if (const auto* id = cached_session_of(job.op)) cache_.begin_write(*id);
        }
    }
    ~cache_write_scope() {
        for (const auto& job : jobs_) {
            if (const auto* id = cached_session_of(job.op)) cache_.end_write(*id);
        }
    }
    cache_write_scope(const cache_write_scope&) = delete;
    cache_write_scope& operator=(const cache_write_scope&) = delete;

private:
    progress_cache& cache_;
    std::span<sqlite_store::write_job> jobs_;
};

}  // namespace

// Runs `jobs` in one transaction. On failure every result becomes the error and it returns false.
bool sqlite_store::try_transaction(std::span<write_job> jobs,
                                   std::span<result<write_value>> results) {
    auto& w = *writer_;
    const wall_time now = clock_.now();
    pending_ = committed_;
    try {
        {
            statement_scope scope(w.begin);
            w.begin.step();
        }
        for (std::size_t i = 0; i < jobs.size(); ++i) results[i] = apply(jobs[i].op, now);
        const cache_write_scope cache_writes(cache_, jobs);  // a fill racing COMMIT is refused
        {
            statement_scope scope(w.commit);
            w.commit.step();
        }
        committed_ = pending_;
        published_progress_rows_.store(committed_.progress_rows, std::memory_order_relaxed);
        // Committed: readers may now see it, and must before the writes are answered.
        for (std::size_t i = 0; i < jobs.size(); ++i) update_cache(jobs[i].op, results[i], now);
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

// Committed: what readers find in the cache must now agree with the database.
void sqlite_store::update_cache(const write_op& op, const result<write_value>& outcome,
                                wall_time now) {
    if (!outcome) return;
    const put_op* put = std::get_if<put_op>(&op);
    if (const auto* conditional = std::get_if<put_if_op>(&op)) put = &conditional->put;
    if (put != nullptr) {
        cache_.write(put->session_id, {put->json, std::get<std::uint64_t>(*outcome)},
                     unix_ms(now + put->ttl));
    } else if (const auto* remove = std::get_if<remove_op>(&op)) {
        cache_.erase(remove->session_id);
    }
}

result<sqlite_store::write_value> sqlite_store::apply(const write_op& op, wall_time now) {
    if (const auto* put = std::get_if<put_op>(&op)) return apply_put(*put, std::nullopt, now);
    if (const auto* conditional = std::get_if<put_if_op>(&op)) {
        return apply_put(conditional->put, conditional->expected, now);
    }
    if (const auto* append = std::get_if<append_op>(&op)) return apply_append(*append, now);
    if (const auto* remove = std::get_if<remove_op>(&op)) return apply_remove(*remove, now);
    if (const auto* claim = std::get_if<claim_op>(&op)) return apply_claim(*claim, now);
    if (std::holds_alternative<count_op>(op)) return apply_count(now);
    if (!std::get<purge_op>(op).everything) return write_value{std::uint64_t{purge_expired(now)}};
    while (purge_expired(now)) {
    }
    return write_value{std::uint64_t{0}};
}

sqlite_store::session_rows sqlite_store::read_session(const std::string& session_id) {
    auto& s = writer_->find_session;
    statement_scope scope(s);
    s.bind(1, session_id);
    session_rows rows;
    if (!s.step()) return rows;  // cannot happen: the query always yields one row
    if (!s.column_is_null(0)) {
        rows.version = static_cast<std::uint64_t>(s.column_int(0));
        rows.progress_expires_at = s.column_int(1);
    }
    if (!s.column_is_null(2)) {
        rows.log_entries = static_cast<std::uint64_t>(s.column_int(2));
        rows.log_expires_at = s.column_int(3);
        rows.log_bytes = s.column_int(4);
    }
    return rows;
}

// A write that would create a session (nothing of it is live) is refused while max_sessions
// sessions are live. The counter includes expired rows not purged yet, so only at the quota does
// it take a purge of everything expired to know; `rows` is read again after that purge.
boost::system::error_code sqlite_store::admit(const std::string& session_id, session_rows& rows,
                                              wall_time now) {
    const auto now_ms = unix_ms(now);
    if (rows.live_progress(now_ms) || rows.live_log(now_ms)) return {};
    const auto below_quota = [this] {
        return static_cast<std::uint64_t>(pending_.sessions) < options_.max_sessions;
    };
    if (below_quota()) return {};
    while (purge_expired(now)) {
    }
    rows = read_session(session_id);
    if (below_quota()) return {};
    return store_errc::storage_full;
}

result<sqlite_store::write_value> sqlite_store::apply_put(
    const put_op& put, std::optional<std::optional<std::uint64_t>> expected, wall_time now) {
    auto rows = read_session(put.session_id);
    if (expected) {
        // Inside the batch's transaction on the only writing connection: nothing can change the
        // row between this check and the upsert.
        std::optional<std::uint64_t> current;
        if (rows.live_progress(unix_ms(now))) current = rows.version;
        if (current != *expected) return store_errc::conflict;
    }
    if (auto refused = admit(put.session_id, rows, now)) return refused;
    const auto version = upsert(put, now);
    if (!rows.version) {
        ++pending_.progress_rows;
        if (!rows.log_entries) ++pending_.sessions;
    }
    return write_value{version};
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

result<sqlite_store::write_value> sqlite_store::apply_append(const append_op& append,
                                                             wall_time now) {
    auto& w = *writer_;
    auto rows = read_session(append.session_id);
    // The array text grows by the entry and a comma, or starts as "[entry]".
    const auto entry_bytes = static_cast<std::int64_t>(append.json.size());
    std::int64_t bytes = entry_bytes + 2;
    if (rows.live_log(unix_ms(now))) {
        if (*rows.log_entries >= options_.max_log_entries) return store_errc::log_full;
        bytes = rows.log_bytes + entry_bytes + 1;
    }
    if (static_cast<std::uint64_t>(bytes) > options_.max_log_bytes) {
        return store_errc::log_too_large;
    }
    if (auto refused = admit(append.session_id, rows, now)) return refused;
    std::int64_t entries = 0;
    {
        statement_scope scope(w.upsert_log);
        w.upsert_log.bind(1, append.session_id)
            .bind(2, unix_ms(now))
            .bind(3, unix_ms(now + append.ttl))
            .bind(4, bytes);
        w.upsert_log.step();
        entries = w.upsert_log.column_int(0);
    }
    if (entries == 1) {  // a new or restarted log: drop what an expired one left behind
        statement_scope scope(w.clear_log_entries);
        w.clear_log_entries.bind(1, append.session_id);
        w.clear_log_entries.step();
    }
    {
        statement_scope scope(w.insert_log_entry);
        w.insert_log_entry.bind(1, append.session_id).bind(2, entries).bind(3, append.json);
        w.insert_log_entry.step();
    }
    if (!rows.log_entries && !rows.version) ++pending_.sessions;
    return write_value{static_cast<std::uint64_t>(entries)};
}

result<sqlite_store::write_value> sqlite_store::apply_remove(const remove_op& remove,
                                                             wall_time now) {
    auto& w = *writer_;
    const auto rows = read_session(remove.session_id);
    const auto now_ms = unix_ms(now);
    const bool existed = rows.live_progress(now_ms) || rows.live_log(now_ms);
    for (auto* s : {&w.delete_progress, &w.clear_log_entries, &w.delete_log, &w.delete_write_key}) {
        statement_scope scope(*s);
        s->bind(1, remove.session_id);
        s->step();
    }
    if (rows.version) --pending_.progress_rows;
    if (rows.version || rows.log_entries) --pending_.sessions;
    return write_value{existed};
}

result<sqlite_store::write_value> sqlite_store::apply_claim(const claim_op& claim, wall_time now) {
    // A key is claimed for a write, which a full store would refuse: refusing the claim too
    // keeps a flood of refused writes from leaving key-only rows behind.
    auto rows = read_session(claim.session_id);
    if (auto refused = admit(claim.session_id, rows, now)) return refused;
    auto& s = writer_->claim_write_key;
    statement_scope scope(s);
    s.bind(1, claim.session_id)
        .bind(2, claim.digest)
        .bind(3, unix_ms(now))
        .bind(4, unix_ms(now + claim.ttl));
    s.step();
    return write_value{std::string(s.column_text(0))};
}

// The stored rows less those expired and not purged yet: a walk of the expiry index over just
// those, which the purge keeps few.
result<sqlite_store::write_value> sqlite_store::apply_count(wall_time now) {
    auto& s = writer_->count_expired_progress;
    statement_scope scope(s);
    s.bind(1, unix_ms(now));
    s.step();
    return write_value{static_cast<std::uint64_t>(pending_.progress_rows - s.column_int(0))};
}

// Deletes expired rows, a bounded number per table, and keeps the counters. Returns whether a
// table gave up that many (so more may be left).
bool sqlite_store::purge_expired(wall_time now) {
    auto& w = *writer_;
    const auto now_ms = unix_ms(now);
    const std::int64_t step_rows = purge_step_rows;
    const auto exists = [](sqlite_statement& s, std::string_view session_id) {
        statement_scope scope(s);
        s.bind(1, session_id);
        return s.step();
    };
    // Runs `purge` and calls `deleted(session_id)` for each row it names; returns their number.
    const auto run = [&](sqlite_statement& purge, const auto& deleted) {
        statement_scope scope(purge);
        purge.bind(1, now_ms).bind(2, step_rows);
        std::int64_t rows = 0;
        for (; purge.step(); ++rows) deleted(purge.column_text(0));
        return rows;
    };
    const auto progress_rows = run(w.purge_progress, [&](std::string_view id) {
        --pending_.progress_rows;
        if (!exists(w.has_log_row, id)) --pending_.sessions;
    });
    run(w.purge_log_entries, [](std::string_view) {});
    const auto log_rows = run(w.purge_logs, [&](std::string_view id) {
        if (!exists(w.has_progress_row, id)) --pending_.sessions;
    });
    run(w.purge_write_keys, [](std::string_view) {});
    const bool full = progress_rows == step_rows || log_rows == step_rows ||
                      sqlite3_changes64(w.db.get()) == step_rows;
    statement_scope scope(w.incremental_vacuum);
    while (w.incremental_vacuum.step()) {
    }
    return full;
}

}  // namespace progressd::store
