// The real progressd binary as a child process, for integration tests: started on a free port,
// stopped with SIGTERM (graceful) or SIGKILL (crash). Its stderr is captured for assertions.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace progressd::testing {

class server_process {
public:
    /// `off_unless_set`: each rate-limit flag that `args` do not set is 0; `defaults`: the
    /// server's own defaults.
    enum class rate_limits { off_unless_set, defaults };

    /// Starts `PROGRESSD_BINARY --host 127.0.0.1 --port 0 <args>` (with `--write-rate 0
    /// --read-rate 0 --session-write-rate 0 --new-session-rate 0` unless `args` set them or
    /// `limits` is `defaults`, and `--max-connections 1000` unless `args` set it) and waits (at
    /// most 10 s) for its "listening on" line. Throws std::runtime_error with the log when it does
    /// not come.
    explicit server_process(const std::vector<std::string>& args,
                            rate_limits limits = rate_limits::off_unless_set);
    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    const std::string& base_url() const { return base_url_; }
    unsigned short port() const { return port_; }

    /// SIGTERM, then waits (at most 10 s); returns the exit code, or -signal when killed by one.
    int terminate();
    /// SIGKILL and reap.
    void kill();
    /// Sends `signal_number` (e.g. SIGHUP) and returns at once.
    void signal(int signal_number);
    bool running() const { return pid_ > 0; }
    /// The process id while it runs (for /proc readings), else -1.
    int pid() const { return pid_; }
    /// Resident memory of the process in KiB (VmRSS), or -1 when it is not running.
    long rss_kib() const;

    /// Everything the process wrote to stderr so far.
    std::string log();

private:
    int wait_for_exit(int timeout_ms);

    int pid_ = -1;
    int stderr_fd_ = -1;
    // A thread drains stderr all the time: a full pipe would block the server's logging.
    std::thread reader_;
    std::mutex log_mutex_;
    std::condition_variable log_grew_;
    std::string log_;
    bool log_closed_ = false;
    std::string base_url_;
    unsigned short port_ = 0;
};

/// Runs the binary to completion with `args` and returns {exit code, stdout+stderr}.
struct completed_process {
    int exit_code;
    std::string output;
};
completed_process run_binary(const std::vector<std::string>& args,
                             const std::string& working_dir = "");

/// A fresh empty directory under the system temp dir, removed with its contents on destruction.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace progressd::testing
