// Fan-out of session changes to the watchers on this instance.
//
// DESIGN. A write calls publish_*() once; the hub copies the weak pointers of that session's
// watchers under its mutex and offers the event to each outside it. A watcher keeps only what
// it has not sent yet: the latest progress (older unsent versions are simply replaced, so a slow
// watcher costs one pointer, not a growing queue) and the log entries appended since (bounded;
// past the bound the watcher is marked overflowed and its stream ends, and the client's
// reconnect with Last-Event-ID resynchronizes it). Offering wakes the watcher's coroutine by
// posting to its strand. Events are built once and shared as shared_ptr<const std::string>.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace progressd::live {

using shared_text = std::shared_ptr<const std::string>;

struct progress_event {
    std::uint64_t version = 0;
    shared_text json;
};

struct log_event {
    std::uint64_t count = 0;  ///< the log's entry count after this entry (1 for the first)
    shared_text entry_json;
};

/// What a watcher has been offered and not yet taken.
struct pending_events {
    std::optional<progress_event> progress;
    std::vector<log_event> log;
    bool overflowed = false;    ///< more log entries arrived than a watcher may hold
    bool closing = false;       ///< the server is shutting down
    bool deleted = false;       ///< the session was deleted (admin API)
    bool disconnected = false;  ///< the client went away
    bool empty() const {
        return !progress && log.empty() && !overflowed && !closing && !deleted && !disconnected;
    }
};

/// One SSE stream's mailbox. Offers come from any thread; waiting and taking happen on the
/// stream's own executor (its connection's strand).
class watcher : public std::enable_shared_from_this<watcher> {
public:
    static constexpr std::size_t max_pending_log_entries = 1000;

    explicit watcher(boost::asio::any_io_executor executor);

    void offer_progress(const progress_event& e);
    void offer_log(const log_event& e);
    void offer_closing();
    void offer_deleted();
    void offer_disconnected();

    /// Resumes when something is pending, or after `timeout` (for heartbeats), whichever first.
    boost::asio::awaitable<void> wait(std::chrono::steady_clock::duration timeout);

    /// Everything pending, leaving nothing.
    pending_events take();

private:
    void wake();

    boost::asio::any_io_executor executor_;
    boost::asio::steady_timer timer_;
    std::mutex mutex_;
    pending_events pending_;
};

/// Why a watch was refused.
enum class watch_refusal { none, instance_full, client_full };

struct hub_limits {
    std::size_t max_watchers = 10000;          ///< on this instance
    std::size_t max_watchers_per_client = 50;  ///< per client IP address
};

class hub {
public:
    explicit hub(hub_limits limits);

    /// Registers `w` for `session_id` on behalf of `client` (an IP address), unless a limit
    /// forbids it. The registration ends when the returned object is destroyed.
    class registration;
    std::pair<std::unique_ptr<registration>, watch_refusal> watch(
        const std::string& session_id, const std::string& client,
        const std::shared_ptr<watcher>& w);

    void publish_progress(const std::string& session_id, const progress_event& e);
    void publish_log(const std::string& session_id, const log_event& e);
    /// The session was deleted: its watchers are told it expired and their streams end.
    void publish_deleted(const std::string& session_id);
    /// Tells every watcher to finish its stream (shutdown).
    void close_all();

    std::size_t watcher_count() const;
    /// The sessions that have at least one watcher on this instance.
    std::vector<std::string> watched_sessions() const;

private:
    std::vector<std::shared_ptr<watcher>> watchers_of(const std::string& session_id);
    void unwatch(const std::string& session_id, const std::string& client, const watcher* w);

    hub_limits limits_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::vector<std::weak_ptr<watcher>>> sessions_;
    std::unordered_map<std::string, std::size_t> per_client_;
    std::size_t total_ = 0;
};

class hub::registration {
public:
    registration(hub& h, std::string session_id, std::string client, const watcher* w)
        : hub_(h), session_id_(std::move(session_id)), client_(std::move(client)), watcher_(w) {}
    ~registration() { hub_.unwatch(session_id_, client_, watcher_); }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;

private:
    hub& hub_;
    std::string session_id_;
    std::string client_;
    const watcher* watcher_;
};

}  // namespace progressd::live
