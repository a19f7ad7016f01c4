// Shared pieces of the chaos tests: a mixed write load whose every acknowledged write is
// recorded, the check that those writes are all still there, and small probes of the process
// and the file system (latency samples, SQLite's integrity check, a tmpfs that can fill up).
#pragma once

#include "cli/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace progressd::testing {

//------------------------------------------------------------------------------
// The load and its ledger

/// What one writer did to one session. Each writer sends its writes one after another, so at
/// most one write (the last attempted, `attempted`) can be in flight when the server dies.
struct session_ledger {
    enum class kind { post, patch, log };
    kind what = kind::post;
    std::string id;
    int acknowledged = 0;  ///< the highest step answered 200 (steps are 1, 2, 3, … in order)
    int attempted = 0;     ///< the highest step sent
    int acknowledged_count = 0;
    int failures = 0;  ///< answers other than 200 (a 503 while Redis is down)
    std::vector<std::string> failure_samples;
};

/// One append to the shared log (several writers, one session): which writer, its step, and the
/// totalErrors the answer gave.
struct shared_append {
    int writer;
    int step;
    int total;  ///< 0 while unanswered
};

/// Several threads writing at once to one server: POST progress, PATCH (a sliding window of
/// `patch_window` tools, so the merge result is known exactly), POST log to a session of its own,
/// and POST log from `shared_log_writers` threads to one shared session. Session ids carry
/// `prefix`. Every write is recorded; stop() joins the threads (they also stop by themselves
/// when the server is gone).
class mixed_load {
public:
    static constexpr int patch_window = 50;
    struct shape {
        int post_writers = 2;
        int patch_writers = 2;
        int log_writers = 1;
        int shared_log_writers = 2;
    };

    mixed_load(std::string base_url, std::string prefix, shape s);
    mixed_load(std::string base_url, std::string prefix) : mixed_load(base_url, prefix, shape{}) {}
    ~mixed_load();
    mixed_load(const mixed_load&) = delete;
    mixed_load& operator=(const mixed_load&) = delete;

    void stop();
    /// Answers 200 so far, over all writers.
    int acknowledged() const { return acknowledged_total_; }

    const std::vector<session_ledger>& sessions() const { return sessions_; }
    const std::string& shared_log_id() const { return shared_id_; }
    const std::vector<shared_append>& shared_appends() const { return shared_; }
    int failures() const;
    /// The first few non-200 answers ("503 {...}"), over all writers.
    std::vector<std::string> failure_samples() const;

private:
    void run_writer(std::size_t index);
    void run_shared_writer(int writer);

    std::string base_url_;
    std::string prefix_;
    std::vector<session_ledger> sessions_;
    std::string shared_id_;
    mutable std::mutex shared_mutex_;
    std::vector<shared_append> shared_;
    std::vector<std::string> shared_failures_;
    std::atomic<bool> stop_{false};
    std::atomic<int> acknowledged_total_{0};
    std::vector<std::thread> threads_;
};

/// Bodies the load sends, exposed for the verification and for other tests.
std::string chaos_progress_body(const std::string& id, int step);
std::string chaos_patch_body(int step);
std::string chaos_log_body(const std::string& tool, int step);

/// The version counter a store keeps per session, read behind progressd's back; nullopt when
/// the store has none for `id`.
using version_reader = std::function<std::optional<std::int64_t>(const std::string& id)>;

/// Checks, through `client`, that every write `load` recorded as acknowledged is stored, and
/// nothing beyond what was attempted (see chaos_support.cpp for the exact rules). `versions`
/// (may be empty) adds the checks on the store's version counter. Reports through gtest.
void expect_acknowledged_writes_present(cli::http_client& client, const mixed_load& load,
                                        const version_reader& versions);

//------------------------------------------------------------------------------
// SQLite behind progressd's back

/// "ok", or what PRAGMA integrity_check says is wrong (or why the file cannot be opened).
std::string sqlite_integrity(const std::string& path);
/// progress.version of every session in the file, by id.
std::map<std::string, std::int64_t> sqlite_versions(const std::string& path);

//------------------------------------------------------------------------------
// Measurements

/// Latencies in milliseconds, with order statistics.
struct latency_samples {
    std::vector<double> ms;
    double percentile(double p) const;  ///< 0 ≤ p ≤ 100; 0 when empty
    double max() const { return percentile(100); }
};

/// Open file descriptors of process `pid` (entries of /proc/PID/fd), or -1.
int open_fds(int pid);

/// Raises this process's soft RLIMIT_NOFILE to its hard limit; returns the new soft limit.
long raise_fd_limit();

//------------------------------------------------------------------------------
// A small file system that can fill up

/// A tmpfs of `bytes` mounted on a fresh directory; unmounted (lazily) and removed on
/// destruction. Needs CAP_SYS_ADMIN: `error()` says why when the mount was refused.
class small_tmpfs {
public:
    explicit small_tmpfs(std::size_t bytes);
    ~small_tmpfs();
    small_tmpfs(const small_tmpfs&) = delete;
    small_tmpfs& operator=(const small_tmpfs&) = delete;
    bool mounted() const { return mounted_; }
    const std::string& error() const { return error_; }
    const std::string& path() const { return path_; }
    /// Bytes still free for an unprivileged writer (statvfs f_bavail × f_frsize).
    std::uint64_t free_bytes() const;

private:
    std::string path_;
    bool mounted_ = false;
    std::string error_;
};

/// Prints a figure for the report, as one line starting "CHAOS-FIGURE " on stdout.
void report_figure(const std::string& text);

}  // namespace progressd::testing
