#include "support/server_process.hpp"

#include <algorithm>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace progressd::testing {
namespace {

// spdlog creates its registry on first use. progressd does that in main() before any thread
// starts; tests log from store threads first, and ThreadSanitizer cannot see that the lazy
// initialization inside the (uninstrumented) library is safe. So: before any test runs.
[[maybe_unused]] const bool spdlog_ready = (spdlog::default_logger_raw(), true);

pid_t spawn(const std::vector<std::string>& args, const std::string& working_dir, int* out_fd,
            bool merge_stdout) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(pipe_fds[1], STDERR_FILENO);
        if (merge_stdout) {
            dup2(pipe_fds[1], STDOUT_FILENO);
        } else {
            const int null_fd = open("/dev/null", O_WRONLY);
            dup2(null_fd, STDOUT_FILENO);
        }
        if (!working_dir.empty() && chdir(working_dir.c_str()) != 0) _exit(127);
        std::vector<char*> argv;
        std::string binary = PROGRESSD_BINARY;
        argv.push_back(binary.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(binary.c_str(), argv.data());
        _exit(127);
    }
    close(pipe_fds[1]);
    *out_fd = pipe_fds[0];
    return pid;
}

// Reads what is available from `fd` into `out` for at most `timeout_ms`; false at end of file.
bool read_some(int fd, std::string& out, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return true;
    char buffer[4096];
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    out.append(buffer, static_cast<std::size_t>(n));
    return true;
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return -1000;
}

}  // namespace

server_process::server_process(const std::vector<std::string>& args, rate_limits limits) {
    std::vector<std::string> full = {"--host", "127.0.0.1", "--port", "0"};
    full.insert(full.end(), args.begin(), args.end());
    // Tests drive hundreds of requests a second and thousands of sessions from one address; the
    // rate limits are off unless a test sets them or asks for the defaults (the rate-limit tests).
    const auto unless_set = [&](const char* flag, const char* value) {
        if (std::find(args.begin(), args.end(), flag) == args.end()) {
            full.insert(full.end(), {flag, value});
        }
    };
    if (limits == rate_limits::off_unless_set) {
        unless_set("--write-rate", "0");
        unless_set("--read-rate", "0");
        unless_set("--session-write-rate", "0");
        unless_set("--new-session-rate", "0");
    }
    // The server sets aside state for every connection it may hold before it listens (about
    // 10 µs each); the default 25,000 would add a quarter of a second to each of hundreds of
    // starts. Tests that open more connections say so.
    unless_set("--max-connections", "1000");
    pid_ = spawn(full, "", &stderr_fd_, false);
    reader_ = std::thread([this] {
        std::string chunk;
        while (read_some(stderr_fd_, chunk, 200)) {
            if (chunk.empty()) continue;
            const std::lock_guard lock(log_mutex_);
            log_ += chunk;
            chunk.clear();
            log_grew_.notify_all();
        }
        const std::lock_guard lock(log_mutex_);
        log_closed_ = true;
        log_grew_.notify_all();
    });

    const std::regex listening(R"(listening on (https?://127\.0\.0\.1:(\d+)))");
    std::smatch match;
    std::unique_lock lock(log_mutex_);
    const bool started = log_grew_.wait_for(lock, std::chrono::seconds(10), [&] {
        return std::regex_search(log_, match, listening) || log_closed_;
    });
    if (!started || !std::regex_search(log_, match, listening)) {
        const std::string seen = log_;
        lock.unlock();
        kill();
        throw std::runtime_error("progressd did not start; its output:\n" + seen);
    }
    base_url_ = match[1];
    port_ = static_cast<unsigned short>(std::stoi(match[2]));
}

server_process::~server_process() {
    if (pid_ > 0) kill();
    if (reader_.joinable()) reader_.join();
    if (stderr_fd_ >= 0) close(stderr_fd_);
    // A sanitizer build of the server reports on stderr and then aborts; the test may have had
    // all its answers by then, so the report itself fails it.
    for (const char* report : {"==ERROR: ", "WARNING: ThreadSanitizer", ": runtime error: "}) {
        if (log_.find(report) != std::string::npos) {
            ADD_FAILURE() << "progressd reported a sanitizer error:\n" << log_;
            break;
        }
    }
}

std::string server_process::log() {
    const std::lock_guard lock(log_mutex_);
    return log_;
}

int server_process::wait_for_exit(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    int status = 0;
    for (;;) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    if (reader_.joinable()) reader_.join();  // the pipe is at end of file once the process is gone
    return decode_status(status);
}

long server_process::rss_kib() const {
    if (pid_ <= 0) return -1;
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    }
    return -1;
}

int server_process::terminate() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    return wait_for_exit(10000);
}

void server_process::signal(int signal_number) {
    if (pid_ > 0) ::kill(pid_, signal_number);
}

void server_process::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait_for_exit(10000);
}

completed_process run_binary(const std::vector<std::string>& args, const std::string& working_dir) {
    int fd = -1;
    const pid_t pid = spawn(args, working_dir, &fd, true);
    std::string output;
    while (read_some(fd, output, 10000)) {
    }
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    return {decode_status(status), output};
}

temp_dir::temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "progressd-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

temp_dir::~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace progressd::testing
