// `redis://[user:password@]host:port[/db]`: Redis in the original app's key layout
// (store/redis_layout.hpp), spoken through Debian 12's blocking hiredis 0.14.
//
// DESIGN. A few worker threads, each owning one blocking connection, serve one FIFO queue
// (store/work_queue.hpp: bounded, and a request not taken within the command timeout is answered
// `timeout`; every job is answered exactly once, on every path out of a pipeline too). A
// worker takes everything queued (up to max_batch requests), sends it as one pipeline and reads
// the replies in order: under load one wake-up and one round trip serve many requests. Each
// result is posted back to its caller's executor, as sqlite_store does. Every operation is a
// single command (MGET, EVALSHA, GET, PING), atomic inside Redis, so requests need no ordering
// between workers: concurrent appends are counted by Redis whichever worker sends them. list()
// alone takes several commands (SCANs, then a read script) and so several jobs in sequence.
// A connection that fails is dropped, and one found closed by the server is replaced before a
// request is sent on it, so a Redis restart costs no request. Reconnecting is gated: after a
// failed connect, requests fail at once with `unavailable` until a backoff (50 ms doubling to
// 1 s) has passed, and then one of them tries again. Expiry is Redis's own (EX): no clock here.
#include "store/redis_store.hpp"

#include "store/redis_connection.hpp"
#include "store/redis_layout.hpp"
#include "store/work_queue.hpp"
#include "store/worker_completion.hpp"
#include "util/net.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <thread>
#include <vector>

namespace progressd::store {
namespace {

using namespace redis_client;

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr std::size_t worker_count = 4;
// Requests per pipeline: enough to amortize a round trip, few enough that the other workers
// share a burst instead of waiting behind one long pipeline.
constexpr std::size_t max_batch = 64;
// Requests waiting for a worker beyond this are refused as unavailable: memory stays bounded
// while Redis hangs, and a request would wait out its command timeout anyway.
constexpr std::size_t max_queued = 16384;
constexpr std::chrono::milliseconds first_backoff = 50ms;
constexpr std::chrono::milliseconds max_backoff = 1000ms;

//------------------------------------------------------------------------------
// Replies to results

// The store error for a Redis error reply: a full memory is a full store, a Redis that is
// loading, busy or read-only is unavailable for now, anything else is an I/O error.
store_errc error_reply_code(std::string_view message) {
    const auto starts = [message](std::string_view prefix) { return message.starts_with(prefix); };
    if (starts("OOM ")) return store_errc::storage_full;
    if (starts("LOADING ") || starts("BUSY ") || starts("MASTERDOWN ") || starts("READONLY ") ||
        starts("TRYAGAIN ")) {
        return store_errc::unavailable;
    }
    return store_errc::io_error;
}

store_errc unexpected(const redisReply& r, std::string_view operation) {
    spdlog::warn("redis answered {} with an unexpected reply of type {}", operation, r.type);
    return store_errc::io_error;
}

// Each turns the reply to one operation's command into its result; error replies never get here.
result<stored_progress> to_progress(const redisReply& r) {
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 2) return unexpected(r, "MGET");
    const redisReply& json = *r.element[0];
    const redisReply& version = *r.element[1];
    if (json.type == REDIS_REPLY_NIL) return store_errc::not_found;
    if (json.type != REDIS_REPLY_STRING) return unexpected(json, "MGET");
    // A session the original app wrote has no version yet: 0 until progressd writes it.
    if (version.type == REDIS_REPLY_NIL) return stored_progress{std::string(json.str, json.len), 0};
    if (version.type != REDIS_REPLY_STRING) return unexpected(version, "MGET");
    const auto number = whole_number<std::uint64_t>(std::string_view(version.str, version.len));
    if (!number) return unexpected(version, "MGET");
    return stored_progress{std::string(json.str, json.len), *number};
}

// The put script's answer: the new version, or -1 when its condition did not hold.
result<std::uint64_t> to_version(const redisReply& r) {
    if (r.type == REDIS_REPLY_INTEGER && r.integer == -1) return store_errc::conflict;
    if (r.type != REDIS_REPLY_INTEGER || r.integer < 1) return unexpected(r, "EVALSHA");
    return static_cast<std::uint64_t>(r.integer);
}

// The append script's answer: the new entry count, -1 when the log is full, -2 when the entry
// would take it past its bytes.
result<std::uint64_t> to_count(const redisReply& r) {
    if (r.type == REDIS_REPLY_INTEGER && r.integer == -1) return store_errc::log_full;
    if (r.type == REDIS_REPLY_INTEGER && r.integer == -2) return store_errc::log_too_large;
    if (r.type != REDIS_REPLY_INTEGER || r.integer < 1) return unexpected(r, "EVALSHA");
    return static_cast<std::uint64_t>(r.integer);
}

result<bool> to_removed(const redisReply& r) {
    if (r.type != REDIS_REPLY_INTEGER || (r.integer != 0 && r.integer != 1)) {
        return unexpected(r, "EVALSHA");
    }
    return r.integer == 1;
}

result<std::string> to_digest(const redisReply& r) {
    if (r.type != REDIS_REPLY_STRING) return unexpected(r, "EVALSHA");
    return std::string(r.str, r.len);
}

struct scan_reply {
    std::string cursor;
    std::vector<std::string> keys;
};

result<scan_reply> to_scan(const redisReply& r) {
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 ||
        r.element[0]->type != REDIS_REPLY_STRING || r.element[1]->type != REDIS_REPLY_ARRAY) {
        return unexpected(r, "SCAN");
    }
    scan_reply scanned{std::string(r.element[0]->str, r.element[0]->len), {}};
    const redisReply& keys = *r.element[1];
    for (std::size_t i = 0; i < keys.elements; ++i) {
        if (keys.element[i]->type != REDIS_REPLY_STRING) return unexpected(r, "SCAN");
        scanned.keys.emplace_back(keys.element[i]->str, keys.element[i]->len);
    }
    return scanned;
}

// The list fetch script's answer: per session, its progress and expiry, or nullopt when it went
// meanwhile. Session ids are left for the caller to fill in.
result<std::vector<std::optional<store::listed_session>>> to_listed(const redisReply& r) {
    if (r.type != REDIS_REPLY_ARRAY || r.elements % 3 != 0) return unexpected(r, "EVALSHA");
    std::vector<std::optional<store::listed_session>> listed(r.elements / 3);
    for (std::size_t i = 0; i < listed.size(); ++i) {
        const redisReply& json = *r.element[3 * i];
        const redisReply& version = *r.element[3 * i + 1];
        const redisReply& ttl = *r.element[3 * i + 2];
        if (json.type != REDIS_REPLY_STRING) continue;
        if (ttl.type != REDIS_REPLY_INTEGER || ttl.integer == -2) continue;
        std::uint64_t number = 0;
        if (version.type == REDIS_REPLY_STRING) {
            const auto parsed =
                whole_number<std::uint64_t>(std::string_view(version.str, version.len));
            if (!parsed) return unexpected(version, "EVALSHA");
            number = *parsed;
        }
        listed[i] = store::listed_session{
            {},
            {std::string(json.str, json.len), number},
            ttl.integer < 0
                ? std::chrono::seconds(-1)
                : std::chrono::ceil<std::chrono::seconds>(std::chrono::milliseconds(ttl.integer))};
    }
    return listed;
}

result<std::string> to_log(const redisReply& r) {
    if (r.type == REDIS_REPLY_NIL) return std::string("[]");
    if (r.type != REDIS_REPLY_STRING) return unexpected(r, "GET");
    return std::string(r.str, r.len);
}

result<void> to_pong(const redisReply& r) {
    if (r.type != REDIS_REPLY_STATUS || std::string_view(r.str, r.len) != "PONG") {
        return unexpected(r, "PING");
    }
    return {};
}

//------------------------------------------------------------------------------
// Reconnecting

// When the workers may connect. While Redis is reachable, any of them, at any time. After a
// failed connect, one attempt per backoff period, by one worker at a time; the others' requests
// fail at once instead of each waiting for a connect timeout. Logs each change of state once.
class connect_gate {
public:
    enum class entry { denied, free, claimed };

    explicit connect_gate(std::string authority) : authority_(std::move(authority)) {}

    entry enter() {
        const std::lock_guard lock(mutex_);
        if (!down_) return entry::free;
        if (attempting_ || steady::now() < retry_at_) return entry::denied;
        attempting_ = true;
        return entry::claimed;
    }

    void failed(entry e, const std::string& reason) {
        const std::lock_guard lock(mutex_);
        if (e == entry::claimed) {
            attempting_ = false;
            backoff_ = std::min(backoff_ * 2, max_backoff);
        } else if (down_) {
            return;  // several workers lost Redis at once: the first one set the backoff
        } else {
            backoff_ = first_backoff;
            spdlog::warn("redis at {} unreachable: {}; retrying", authority_, reason);
        }
        down_ = true;
        retry_at_ = steady::now() + backoff_;
    }

    void succeeded(entry e) {
        const std::lock_guard lock(mutex_);
        if (e == entry::claimed) attempting_ = false;
        if (down_) spdlog::info("redis at {} reachable again", authority_);
        down_ = false;
    }

private:
    const std::string authority_;
    std::mutex mutex_;
    bool down_ = false;
    bool attempting_ = false;
    std::chrono::milliseconds backoff_{0};
    steady::time_point retry_at_;
};

//------------------------------------------------------------------------------
// The store

class redis_store final : public store {
public:
    /// Starts the workers and connects one of them. Throws std::runtime_error when Redis
    /// rejects the credentials or the database; an unreachable Redis is only logged.
    redis_store(endpoint e, const open_options& options);
    ~redis_store() override { close(); }
    redis_store(const redis_store&) = delete;
    redis_store& operator=(const redis_store&) = delete;

    net::awaitable<result<stored_progress>> get(std::string session_id) override;
    net::awaitable<result<std::uint64_t>> put(std::string session_id, std::string progress_json,
                                              std::chrono::seconds ttl) override;
    command put_command(const std::string& session_id, std::string progress_json,
                        std::chrono::seconds ttl) const;
    net::awaitable<result<std::uint64_t>> put_if(std::string session_id, std::string progress_json,
                                                 std::chrono::seconds ttl,
                                                 std::optional<std::uint64_t> expected) override;
    net::awaitable<result<std::uint64_t>> append_log(std::string session_id, std::string entry_json,
                                                     std::chrono::seconds ttl) override;
    net::awaitable<result<std::string>> get_log(std::string session_id) override;
    net::awaitable<result<session_page>> list(std::string cursor, std::size_t limit) override;
    net::awaitable<result<bool>> remove(std::string session_id) override;
    net::awaitable<result<std::uint64_t>> count() override;
    net::awaitable<result<std::string>> claim_write_key(std::string session_id,
                                                        std::string key_digest,
                                                        std::chrono::seconds ttl) override;
    net::awaitable<result<void>> ping() override;
    void close() override;

private:
    struct job {
        command cmd;
        std::string_view script;  ///< EVALSHA's script, for EVAL when Redis does not have it
        std::function<void(result<const redisReply*>)> complete;

        /// Completes the job with its reply or its error; later calls do nothing.
        void settle(result<const redisReply*> outcome) {
            if (auto done = std::exchange(complete, nullptr)) done(outcome);
        }
    };

    template <class T>
    net::awaitable<result<T>> submit(command cmd, std::string_view script,
                                     result<T> (*parse)(const redisReply&));
    void run_worker(std::promise<std::optional<failure>>* first_connect);
    void serve(connection& conn, std::vector<job>& batch);
    std::vector<job*> pipeline(connection& conn, std::span<job* const> jobs);
    void finish(job& j, const redisReply& reply);
    std::optional<failure> try_ready(connection& conn, bool at_startup = false);

    const endpoint endpoint_;
    const open_options options_;
    const std::string put_sha_;
    const std::string append_sha_;
    const std::string remove_sha_;
    const std::string claim_sha_;
    const std::string list_fetch_sha_;
    connect_gate gate_;

    work_queue<job> queue_;
    std::atomic<bool> closed_{false};
    std::vector<std::thread> workers_;
};

redis_store::redis_store(endpoint e, const open_options& options)
    : endpoint_(std::move(e)),
      options_(options),
      put_sha_(redis_layout::script_sha1(redis_layout::put_script)),
      append_sha_(redis_layout::script_sha1(redis_layout::append_log_script)),
      remove_sha_(redis_layout::script_sha1(redis_layout::remove_script)),
      claim_sha_(redis_layout::script_sha1(redis_layout::claim_write_key_script)),
      list_fetch_sha_(redis_layout::script_sha1(redis_layout::list_fetch_script)),
      gate_(endpoint_.authority),
      // A job that has waited a command timeout already (Redis hangs, and every worker is
      // waiting for it) times out unsent, so that a backlog cannot make waits grow without bound.
      queue_({.max_queued = max_queued, .max_wait = options_.command_timeout},
             [](job& j, store_errc why) { j.settle(why); }) {
    std::promise<std::optional<failure>> first_connect;
    auto outcome = first_connect.get_future();
    try {
        workers_.emplace_back([this, &first_connect] { run_worker(&first_connect); });
        for (std::size_t i = 1; i < worker_count; ++i) {
            workers_.emplace_back([this] { run_worker(nullptr); });
        }
    } catch (...) {
        close();
        throw;
    }
    const auto problem = outcome.get();
    if (problem && problem->refused) {
        close();
        throw std::runtime_error("cannot use redis at " + endpoint_.authority + ": " +
                                 problem->message);
    }
}

void redis_store::close() {
    if (closed_.exchange(true)) return;
    queue_.close();
    for (auto& worker : workers_) worker.join();  // each drains the queue before it ends
}

//------------------------------------------------------------------------------
// Operations: one command each

net::awaitable<result<stored_progress>> redis_store::get(std::string session_id) {
    return submit(command{"MGET", redis_layout::progress_key(session_id),
                          redis_layout::version_key(session_id)},
                  {}, &to_progress);
}

// The put script's command; a conditional put adds the version it expects ("" for none).
command redis_store::put_command(const std::string& session_id, std::string progress_json,
                                 std::chrono::seconds ttl) const {
    return {"EVALSHA",
            put_sha_,
            "2",
            redis_layout::progress_key(session_id),
            redis_layout::version_key(session_id),
            std::move(progress_json),
            std::to_string(ttl.count()),
            session_id};
}

net::awaitable<result<std::uint64_t>> redis_store::put(std::string session_id,
                                                       std::string progress_json,
                                                       std::chrono::seconds ttl) {
    return submit(put_command(session_id, std::move(progress_json), ttl), redis_layout::put_script,
                  &to_version);
}

net::awaitable<result<std::uint64_t>> redis_store::put_if(std::string session_id,
                                                          std::string progress_json,
                                                          std::chrono::seconds ttl,
                                                          std::optional<std::uint64_t> expected) {
    auto cmd = put_command(session_id, std::move(progress_json), ttl);
    cmd.push_back(expected ? std::to_string(*expected) : std::string());
    return submit(std::move(cmd), redis_layout::put_script, &to_version);
}

net::awaitable<result<std::uint64_t>> redis_store::append_log(std::string session_id,
                                                              std::string entry_json,
                                                              std::chrono::seconds ttl) {
    return submit(
        command{"EVALSHA", append_sha_, "2", redis_layout::log_key(session_id),
                redis_layout::log_meta_key(session_id), std::move(entry_json),
                std::to_string(ttl.count()), session_id, std::to_string(options_.max_log_entries),
                std::to_string(options_.max_log_bytes)},
        redis_layout::append_log_script, &to_count);
}

net::awaitable<result<std::string>> redis_store::get_log(std::string session_id) {
    return submit(command{"GET", redis_layout::log_key(session_id)}, {}, &to_log);
}

// Two kinds of round trip: SCANs until the walk has a page of ids, then one script that reads
// them all. Workers may run them on different connections: nothing ties them together.
net::awaitable<result<store::session_page>> redis_store::list(std::string cursor,
                                                              std::size_t limit) {
    redis_layout::list_walk walk(cursor, limit);
    while (!walk.done()) {
        // Built outside the co_await: GCC 12 cannot keep literals' arrays in a coroutine frame.
        command scan = {"SCAN",  walk.scan_cursor(),
                        "MATCH", "progress:*",
                        "COUNT", std::to_string(walk.scan_count())};
        auto scanned = co_await submit(std::move(scan), {}, &to_scan);
        if (!scanned) co_return scanned.error();
        walk.take({scanned->keys.begin(), scanned->keys.end()}, std::move(scanned->cursor));
    }
    session_page page;
    page.next_cursor = walk.next_cursor();
    const auto& ids = walk.ids();
    if (ids.empty()) co_return page;
    command fetch{"EVALSHA", list_fetch_sha_, std::to_string(2 * ids.size())};
    for (const auto& id : ids) {
        fetch.push_back(redis_layout::progress_key(id));
        fetch.push_back(redis_layout::version_key(id));
    }
    auto listed = co_await submit(std::move(fetch), redis_layout::list_fetch_script, &to_listed);
    if (!listed) co_return listed.error();
    if (listed->size() != ids.size()) co_return store_errc::io_error;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto& session = (*listed)[i];
        if (!session) continue;  // expired or removed since the SCAN
        session->session_id = ids[i];
        page.sessions.push_back(std::move(*session));
    }
    co_return page;
}

net::awaitable<result<bool>> redis_store::remove(std::string session_id) {
    return submit(command{"EVALSHA", remove_sha_, "5", redis_layout::progress_key(session_id),
                          redis_layout::log_key(session_id), redis_layout::version_key(session_id),
                          redis_layout::log_meta_key(session_id),
                          redis_layout::write_key_key(session_id), session_id},
                  redis_layout::remove_script, &to_removed);
}

// Counting would take a SCAN of the whole keyspace.
net::awaitable<result<std::uint64_t>> redis_store::count() { co_return store_errc::unsupported; }

net::awaitable<result<std::string>> redis_store::claim_write_key(std::string session_id,
                                                                 std::string key_digest,
                                                                 std::chrono::seconds ttl) {
    return submit(command{"EVALSHA", claim_sha_, "1", redis_layout::write_key_key(session_id),
                          std::move(key_digest), std::to_string(ttl.count())},
                  redis_layout::claim_write_key_script, &to_digest);
}

net::awaitable<result<void>> redis_store::ping() { return submit(command{"PING"}, {}, &to_pong); }

// Queues `cmd` and resumes the caller on its own executor with `parse` of the reply, or with
// the store error that replaced it. `parse` runs on the worker, while the reply is alive.
template <class T>
net::awaitable<result<T>> redis_store::submit(command cmd, std::string_view script,
                                              result<T> (*parse)(const redisReply&)) {
    return resume_when_done<T>([this, script, parse,
                                cmd = std::move(cmd)](completion<T> done) mutable {
        queue_.push(job{std::move(cmd), script,
                        [done = std::move(done), parse](result<const redisReply*> reply) {
                            result<T> r = store_errc::io_error;  // when even parsing fails
                            try {
                                r = reply ? parse(**reply)
                                          : result<T>(boost::system::in_place_error, reply.error());
                            } catch (const std::exception& e) {
                                spdlog::error("redis reply lost: {}", e.what());
                            }
                            done(std::move(r));
                        }});
    });
}

//------------------------------------------------------------------------------
// The workers

// `first_connect`, for one worker only: connect at once and report how it went.
void redis_store::run_worker(std::promise<std::optional<failure>>* first_connect) {
    block_sigpipe();
    connection conn;
    if (first_connect) {
        try {
            first_connect->set_value(try_ready(conn, true));
        } catch (const std::exception& e) {
            first_connect->set_value(failure{store_errc::unavailable, e.what()});
        }
    }
    std::vector<job> batch;
    while (queue_.take(batch, max_batch) != work_queue<job>::taken::closed) {
        try {
            serve(conn, batch);
        } catch (const std::exception& e) {
            spdlog::error("redis request failed: {}", e.what());
            conn.reset();
        }
        // Whatever path serve() took, no job leaves unanswered (settle() answers only once):
        // an unanswered completion would destroy its caller's coroutine without resuming it.
        for (auto& j : batch) j.settle(store_errc::io_error);
        batch.clear();
    }
}

// Completes every job of `batch`: sent as one pipeline on `conn` (connected first when needed),
// then the EVALSHAs Redis answered NOSCRIPT (it restarted, or its script cache was flushed)
// again as EVAL, which also caches the script for the next EVALSHA.
void redis_store::serve(connection& conn, std::vector<job>& batch) {
    std::vector<job*> jobs;
    jobs.reserve(batch.size());
    for (auto& j : batch) jobs.push_back(&j);
    if (auto problem = try_ready(conn)) {
        for (auto* j : jobs) j->settle(problem->code);
        return;
    }
    auto again = pipeline(conn, jobs);
    if (again.empty()) return;
    for (job* j : again) {
        j->cmd[0] = "EVAL";
        j->cmd[1] = std::string(j->script);
        j->script = {};
    }
    pipeline(conn, again);
}

// Sends the commands of `jobs` in one write and completes each job from its reply in order,
// except those answered NOSCRIPT, which it returns. A failure (timeout, lost connection)
// completes the jobs left with it, and those answered NOSCRIPT before it, and drops the
// connection.
std::vector<redis_store::job*> redis_store::pipeline(connection& conn, std::span<job* const> jobs) {
    for (const job* j : jobs) append(conn, j->cmd);
    std::vector<job*> noscript;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        auto reply = read_reply(conn, options_.command_timeout);
        if (!reply) {
            spdlog::warn("redis at {}: {}; reconnecting", endpoint_.authority,
                         reply.error().message);
            conn.reset();
            for (job* j : noscript) j->settle(reply.error().code);
            for (; i < jobs.size(); ++i) jobs[i]->settle(reply.error().code);
            return {};
        }
        const redisReply& r = **reply;
        if (!jobs[i]->script.empty() && r.type == REDIS_REPLY_ERROR &&
            std::string_view(r.str, r.len).starts_with("NOSCRIPT")) {
            noscript.push_back(jobs[i]);
        } else {
            finish(*jobs[i], r);
        }
    }
    return noscript;
}

void redis_store::finish(job& j, const redisReply& reply) {
    if (reply.type != REDIS_REPLY_ERROR) return j.settle(&reply);
    const std::string_view message(reply.str, reply.len);
    spdlog::warn("redis at {} answered {} with an error: {}", endpoint_.authority, j.cmd[0],
                 message);
    j.settle(error_reply_code(message));
}

// Makes `conn` usable: keeps it while the server has not closed it, or connects a new one when
// the gate allows. Returns what leaves it unusable. `at_startup`: a refusal is not logged, since
// the constructor throws it.
std::optional<failure> redis_store::try_ready(connection& conn, bool at_startup) {
    if (conn && !closed_by_peer(conn)) return std::nullopt;
    conn.reset();
    const auto entry = gate_.enter();
    if (entry == connect_gate::entry::denied) {
        return failure{store_errc::unavailable, "waiting to reconnect"};
    }
    auto fresh = connect(endpoint_, options_);
    if (!fresh) {
        if (!(at_startup && fresh.error().refused)) gate_.failed(entry, fresh.error().message);
        return fresh.error();
    }
    gate_.succeeded(entry);
    conn = std::move(*fresh);
    return std::nullopt;
}

}  // namespace

std::unique_ptr<store> make_redis_store(const std::string& url, const open_options& options,
                                        const clock&) {
    return std::make_unique<redis_store>(parse_url(url), options);
}

}  // namespace progressd::store
