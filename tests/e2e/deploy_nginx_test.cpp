// deploy/nginx.conf in front of the real binary: the shipped file, with only its upstream port
// and its listen lines replaced, run by Debian's nginx as the current user. Checks what an
// operator relies on: requests pass, live events are not held back, the body limits agree, and
// the client's address and a request id are forwarded while a client's own Forwarded is not.
#include "e2e/e2e_support.hpp"
#include "support/redis_server.hpp"  // free_port

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace progressd::testing {
namespace {

using namespace std::chrono_literals;

//----------------------------------------------------------------------------------------------
// The shipped configuration, rendered for a test

/// deploy/nginx.conf with its upstream server pointed at 127.0.0.1:`upstream_port` and its first
/// listen line replaced by 127.0.0.1:`listen_port` (the others are dropped: no port 80, no IPv6
/// needed). Throws when the file no longer has the lines this replaces, so the test never runs
/// a configuration other than the shipped one.
std::string render_deploy_conf(unsigned short upstream_port, unsigned short listen_port) {
    const std::string path = std::string(PROGRESSD_SOURCE_DIR) + "/deploy/nginx.conf";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::string out;
    std::string line;
    int upstreams = 0;
    int listens = 0;
    while (std::getline(in, line)) {
        const auto indent = line.find_first_not_of(" \t");
        const std::string code = indent == std::string::npos ? "" : line.substr(indent);
        if (code.starts_with("server 127.0.0.1:3000")) {
            line = "    server 127.0.0.1:" + std::to_string(upstream_port) + ";";
            ++upstreams;
        } else if (code.starts_with("listen ")) {
            if (listens++ > 0) continue;
            line = "    listen 127.0.0.1:" + std::to_string(listen_port) + ";";
        }
        out += line + '\n';
    }
    if (upstreams != 1 || listens == 0) {
        throw std::runtime_error(path +
                                 " no longer has one `server 127.0.0.1:3000` and a `listen`");
    }
    return out;
}

/// The nginx binary: Debian's /usr/sbin/nginx, which is not on a normal user's PATH.
std::string nginx_binary() {
    return access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" : "nginx";
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
bool accepts(unsigned short port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return ok;
}

//----------------------------------------------------------------------------------------------
// nginx as a child process

/// The http block around the site, as /etc/nginx/nginx.conf has it, with every path relative.
constexpr const char* main_conf = R"(worker_processes 1;
error_log error.log info;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path body;
    proxy_temp_path proxy;
    fastcgi_temp_path fastcgi;
    uwsgi_temp_path uwsgi;
    scgi_temp_path scgi;
    include progressd.conf;
}
)";
constexpr const char* process_directives = "daemon off; master_process off; pid nginx.pid;";

/// nginx serving `site` (a server block and its upstream, as in conf.d/) on 127.0.0.1:`port`,
/// one process (master_process off), every path in a temp dir. Throws std::runtime_error with
/// nginx's error log when it does not accept connections within 10 s.
class nginx_process {
public:
    nginx_process(const std::string& site, unsigned short port) : port_(port) {
        const std::string& d = dir_.path();
        std::ofstream(d + "/progressd.conf") << site;
        std::ofstream(d + "/nginx.conf") << main_conf;
        // Relative paths are under the prefix (-p), so nothing outside the temp dir is written.
        std::vector<std::string> args = {nginx_binary(), "-p", d + "/", "-c", "nginx.conf"};
        args.insert(args.end(), {"-e", "error.log", "-g", process_directives});
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const int out = open((d + "/stderr.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        pid_ = fork();
        if (pid_ == 0) {
            dup2(out, STDOUT_FILENO);
            dup2(out, STDERR_FILENO);
            execvp(argv[0], argv.data());
            _exit(127);
        }
        close(out);
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!accepts(port_)) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;  // exited: nothing to stop
            if (pid_ < 0 || std::chrono::steady_clock::now() > deadline) {
                stop();
                throw std::runtime_error("nginx did not start on port " + std::to_string(port_) +
                                         " (is the nginx package installed? scripts/bootstrap "
                                         "--test installs it)\n" +
                                         logs());
            }
            std::this_thread::sleep_for(10ms);
        }
    }
    ~nginx_process() { stop(); }
    nginx_process(const nginx_process&) = delete;
    nginx_process& operator=(const nginx_process&) = delete;

    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    /// What nginx wrote to its error log and its stderr, for failure messages.
    std::string logs() const {
        std::stringstream all;
        all << std::ifstream(dir_.path() + "/error.log").rdbuf()
            << std::ifstream(dir_.path() + "/stderr.log").rdbuf();
        return all.str();
    }

private:
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        for (int i = 0; i < 500 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
            std::this_thread::sleep_for(10ms);
        }
        if (kill(pid_, SIGKILL) == 0) waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    temp_dir dir_;
    unsigned short port_;
    int pid_ = -1;
};

//----------------------------------------------------------------------------------------------
// Test helpers

/// An event stream read on a thread of its own with the real client (which decodes nginx's
/// chunked framing), until an event named `last_event` arrives or 5 s pass without data.
class stream_watcher {
public:
    stream_watcher(const std::string& base_url, const std::string& target,
                   const std::string& last_event)
        : thread_([this, base_url, target, stop_at = "event: " + last_event + "\n"] {
              try {
                  cli::http_client client(base_url);
                  client.stream(
                      target, {},
                      [&](std::string_view piece) {
                          const std::lock_guard lock(mutex_);
                          received_ += piece;
                          grew_.notify_all();
                          return received_.find(stop_at) == std::string::npos;
                      },
                      5s);
              } catch (const std::exception& e) {
                  const std::lock_guard lock(mutex_);
                  received_ += std::string("\n<client: ") + e.what() + ">";
              }
              const std::lock_guard lock(mutex_);
              ended_ = true;
              grew_.notify_all();
          }) {}
    ~stream_watcher() { thread_.join(); }
    stream_watcher(const stream_watcher&) = delete;
    stream_watcher& operator=(const stream_watcher&) = delete;

    /// Whether `text` arrived before `deadline`.
    bool wait_for(const std::string& text, std::chrono::steady_clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        return grew_.wait_until(lock, deadline, [&] {
            return received_.find(text) != std::string::npos || ended_;
        }) && received_.find(text) != std::string::npos;
    }
    std::string received() {
        const std::lock_guard lock(mutex_);
        return received_;
    }

private:
    std::mutex mutex_;
    std::condition_variable grew_;
    std::string received_;
    bool ended_ = false;
    std::thread thread_;  // last: it starts at once and uses the members above
};

/// An upstream that records the head of every request and answers 200 "{}" with
/// Connection: close, to see exactly what nginx sends to progressd.
class header_capture {
public:
    header_capture() {
        fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            listen(fd_, 16) != 0 ||
            getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error("cannot listen for the header capture");
        }
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~header_capture() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }
    header_capture(const header_capture&) = delete;
    header_capture& operator=(const header_capture&) = delete;

    unsigned short port() const { return port_; }
    std::vector<std::string> heads() {
        const std::lock_guard lock(mutex_);
        return heads_;
    }

private:
    void run() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            std::string head;
            char buffer[4096];
            while (head.find("\r\n\r\n") == std::string::npos) {
                pollfd c{client, POLLIN, 0};
                if (poll(&c, 1, 2000) <= 0) break;
                const ssize_t n = recv(client, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                head.append(buffer, static_cast<std::size_t>(n));
            }
            {
                // Kept before answering: once the client has its answer, heads() must show it.
                const std::lock_guard lock(mutex_);
                heads_.push_back(head.substr(0, head.find("\r\n\r\n") + 2));
            }
            const std::string answer =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                "Connection: close\r\n\r\n{}";
            send(client, answer.data(), answer.size(), MSG_NOSIGNAL);
            close(client);
        }
    }

    int fd_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<std::string> heads_;
    std::thread thread_;
};

/// The value of header `name` (exact case, as nginx writes it) in a request head, or nullopt.
std::optional<std::string> header_value(const std::string& head, const std::string& name) {
    const auto at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return std::nullopt;
    const auto start = at + name.size() + 4;
    return head.substr(start, head.find("\r\n", start) - start);
}

class deploy_nginx_test : public e2e_test {
protected:
    /// progressd as e2e_test starts it, behind nginx running deploy/nginx.conf; `proxied_`
    /// talks to nginx.
    void start_behind_nginx() {
        start();
        const auto port = free_port();
        nginx_ = std::make_unique<nginx_process>(render_deploy_conf(server_->port(), port), port);
        proxied_ = std::make_unique<cli::http_client>(nginx_->base_url());
    }

    std::unique_ptr<nginx_process> nginx_;
    std::unique_ptr<cli::http_client> proxied_;
};

//----------------------------------------------------------------------------------------------

TEST_F(deploy_nginx_test, progress_is_written_and_read_through_nginx) {
    start_behind_nginx();
    const auto posted =
        proxied_->request(verb::post, "/api/progress/via-nginx", progress_body("via-nginx", 2));
    ASSERT_EQ(posted.status, 200u) << posted.body << nginx_->logs();
    const auto got = proxied_->request(verb::get, "/api/progress/via-nginx");
    EXPECT_EQ(got.status, 200u);
    EXPECT_EQ(got.body, progress_body("via-nginx", 2));
    EXPECT_NE(got.header("server").find("nginx"), std::string::npos);
    // The same record, straight from progressd.
    EXPECT_EQ(request(verb::get, "/api/progress/via-nginx").body, got.body);
}

TEST_F(deploy_nginx_test, an_event_passes_nginx_within_a_second_of_the_write) {
    start_behind_nginx();
    stream_watcher watcher(nginx_->base_url(), "/api/progress/live/events", "progress");
    // The stream is open end to end once the first event has come through.
    ASSERT_TRUE(watcher.wait_for("event: waiting\n", std::chrono::steady_clock::now() + 3s))
        << watcher.received() << nginx_->logs();

    const auto write_started = std::chrono::steady_clock::now();
    ASSERT_EQ(proxied_->request(verb::post, "/api/progress/live", progress_body("live", 1)).status,
              200u);
    EXPECT_TRUE(watcher.wait_for("data: " + progress_body("live", 1) + "\n\n", write_started + 1s))
        << "the event was held back (buffered?); received:\n"
        << watcher.received();
}

TEST_F(deploy_nginx_test, nginx_and_progressd_draw_the_body_limit_at_the_same_size) {
    start_behind_nginx();
    // 64 KiB passes nginx and reaches progressd, which parses it (and finds it is no progress).
    const auto at_limit =
        proxied_->request(verb::post, "/api/progress/big", std::string(64 * 1024, ' '));
    EXPECT_EQ(at_limit.status, 400u) << at_limit.body;
    // One byte more and nginx refuses it itself.
    const auto over =
        proxied_->request(verb::post, "/api/progress/big", std::string(64 * 1024 + 1, ' '));
    EXPECT_EQ(over.status, 413u);
    EXPECT_EQ(over.header("content-type"), "text/html");  // nginx's error page, not progressd's
    EXPECT_EQ(request(verb::get, "/api/progress/big").status, 404u);
}

TEST_F(deploy_nginx_test, the_client_address_and_a_request_id_reach_progressd_but_forwarded_not) {
    header_capture upstream;  // in progressd's place, to see exactly what nginx sends it
    const auto port = free_port();
    nginx_process nginx(render_deploy_conf(upstream.port(), port), port);
    cli::http_client client(nginx.base_url());
    // A client's own Forwarded header names an address of its choosing: it must not get through.
    ASSERT_EQ(client
                  .request(verb::get, "/api/progress/a", {},
                           {{"X-Forwarded-For", "198.51.100.7"}, {"Forwarded", "for=192.0.2.66"}})
                  .status,
              200u)
        << nginx.logs();
    ASSERT_EQ(
        client.request(verb::get, "/api/progress/b", {}, {{"X-Request-Id", "abc-123"}}).status,
        200u);

    const auto heads = upstream.heads();
    ASSERT_EQ(heads.size(), 2u);
    const auto& first = heads[0];
    EXPECT_TRUE(first.starts_with("GET /api/progress/a HTTP/1.1\r\n")) << first;
    EXPECT_EQ(header_value(first, "X-Forwarded-For"), "198.51.100.7, 127.0.0.1") << first;
    EXPECT_EQ(header_value(first, "X-Forwarded-Proto"), "http") << first;
    EXPECT_TRUE(std::regex_match(header_value(first, "X-Request-Id").value_or(""),
                                 std::regex("[0-9a-f]{32}")))
        << first;
    EXPECT_EQ(header_value(first, "Forwarded"), std::nullopt) << first;
    EXPECT_EQ(header_value(first, "Connection"), std::nullopt) << first;  // keep-alive upstream

    EXPECT_EQ(header_value(heads[1], "X-Forwarded-For"), "127.0.0.1") << heads[1];
    EXPECT_EQ(header_value(heads[1], "X-Request-Id"), "abc-123") << heads[1];
}

}  // namespace
}  // namespace progressd::testing
