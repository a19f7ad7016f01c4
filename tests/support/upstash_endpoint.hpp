// The Upstash REST endpoint of tests/upstash-rest/server.mjs (Node) as a child process in front
// of a redis_server, for tests of the kv-rest store. Like redis_server it never skips: a missing
// Node or npm package is an exception that says how to install it.
#pragma once

#include "support/redis_server.hpp"

#include <chrono>
#include <string>

namespace progressd::testing {

class upstash_endpoint {
public:
    /// Starts the endpoint for `redis`, accepting `token` (all commands) and `read_only_token`
    /// (reads only; none when empty), on `port` (0: any free one), and waits at most 10 s for
    /// its "listening on" line. Throws std::runtime_error with its output when it does not start.
    upstash_endpoint(const redis_server& redis, std::string token, std::string read_only_token = {},
                     unsigned short port = 0);
    ~upstash_endpoint();
    upstash_endpoint(const upstash_endpoint&) = delete;
    upstash_endpoint& operator=(const upstash_endpoint&) = delete;

    unsigned short port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    /// SIGKILL, as a crash; start() brings it back on the same port.
    void stop();
    void start();
    /// SIGSTOP: connections are still accepted (by the kernel) but nothing answers; resume()
    /// sends SIGCONT.
    void pause();
    void resume();

    /// What the endpoint printed so far (stdout and stderr).
    std::string log() const;

private:
    std::string redis_url_;
    std::string token_;
    std::string read_only_token_;
    temp_dir dir_;
    unsigned short port_ = 0;
    int pid_ = -1;
};

/// Makes `by` pass for the keys of `redis`: every TTL shrinks by `by`, and keys whose TTL runs
/// out are deleted. Redis expires keys by its own clock; this moves that clock for a test
/// without sleeping. Keys without a TTL are left alone.
void advance_redis_time(const redis_server& redis, std::chrono::milliseconds by);

}  // namespace progressd::testing
