// A real redis-server (the Debian package) for tests: started on a free loopback port with its
// own temporary directory, stopped and removed on destruction. No system service is assumed.
// A test that needs Redis fails when redis-server is missing; it never skips silently.
#pragma once

#include "support/server_process.hpp"

#include <string>
#include <vector>

namespace progressd::testing {

class redis_server {
public:
    /// Starts redis-server with `extra_args` (e.g. {"--appendonly", "yes"}) and waits until it
    /// answers PING. Throws std::runtime_error with its log when it does not start.
    explicit redis_server(std::vector<std::string> extra_args = {});
    ~redis_server();
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    unsigned short port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

    /// Runs redis-cli against this server and returns its output (e.g. cli({"GET", "k"})).
    std::string cli(const std::vector<std::string>& args) const;

    /// SIGKILL (a crash) or SHUTDOWN NOSAVE-like stop; start() brings it back on the same port.
    void stop();
    void start();
    bool running() const { return pid_ > 0; }

private:
    std::vector<std::string> extra_args_;
    temp_dir dir_;
    unsigned short port_ = 0;
    int pid_ = -1;
};

/// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_port();

}  // namespace progressd::testing
