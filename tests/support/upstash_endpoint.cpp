#include "support/upstash_endpoint.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace progressd::testing {
namespace {

const std::string endpoint_dir = std::string(PROGRESSD_SOURCE_DIR) + "/tests/upstash-rest";

// TTLs are shifted in one script, so no key expires halfway through a test's step.
constexpr const char* shift_ttls_script = R"lua(
local by = tonumber(ARGV[1])
for _, key in ipairs(redis.call('KEYS', '*')) do
  local ttl = redis.call('PTTL', key)
  if ttl > by then
    redis.call('PEXPIRE', key, ttl - by)
  elseif ttl >= 0 then
    redis.call('DEL', key)
  end
end
return 0
)lua";

}  // namespace

upstash_endpoint::upstash_endpoint(const redis_server& redis, std::string token,
                                   std::string read_only_token, unsigned short port)
    : redis_url_(redis.url()),
      token_(std::move(token)),
      read_only_token_(std::move(read_only_token)),
      port_(port) {
    if (!std::filesystem::exists(endpoint_dir + "/node_modules/redis")) {
        throw std::runtime_error(endpoint_dir +
                                 "/node_modules is missing: run scripts/bootstrap (it runs "
                                 "npm ci --prefix tests/upstash-rest)");
    }
    start();
}

upstash_endpoint::~upstash_endpoint() { stop(); }

std::string upstash_endpoint::log() const {
    std::ifstream in(dir_.path() + "/endpoint.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void upstash_endpoint::start() {
    if (pid_ > 0) return;
    const std::string log_path = dir_.path() + "/endpoint.log";
    std::vector<std::string> args = {
        "node",   endpoint_dir + "/server.mjs", "--redis", redis_url_, "--token", token_,
        "--port", std::to_string(port_)};
    if (!read_only_token_.empty()) {
        args.insert(args.end(), {"--read-only-token", read_only_token_});
    }
    // A file, not a pipe: nobody has to drain it while the endpoint runs. Emptied here, before
    // the fork, so that the previous run's "listening on" line cannot be mistaken for this one's.
    std::ofstream(log_path, std::ios::trunc).close();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        const int log_fd = open(log_path.c_str(), O_WRONLY | O_APPEND);
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execvp("node", argv.data());
        _exit(127);
    }
    const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        std::smatch match;
        const std::string seen = log();
        if (std::regex_search(seen, match, listening)) {
            port_ = static_cast<unsigned short>(std::stoi(match[1]));
            return;
        }
        int status = 0;
        const bool exited = waitpid(pid_, &status, WNOHANG) == pid_;
        if (exited || std::chrono::steady_clock::now() > deadline) {
            if (!exited) stop();
            pid_ = -1;
            throw std::runtime_error("the Upstash REST endpoint (node " + endpoint_dir +
                                     "/server.mjs) did not start; its output:\n" + seen);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void upstash_endpoint::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

void upstash_endpoint::pause() {
    if (pid_ > 0) kill(pid_, SIGSTOP);
}

void upstash_endpoint::resume() {
    if (pid_ > 0) kill(pid_, SIGCONT);
}

void advance_redis_time(const redis_server& redis, std::chrono::milliseconds by) {
    const std::string answer =
        redis.cli({"EVAL", shift_ttls_script, "0", std::to_string(by.count())});
    if (!answer.starts_with("0")) {
        throw std::runtime_error("cannot shift the TTLs in Redis: " + answer);
    }
}

}  // namespace progressd::testing
