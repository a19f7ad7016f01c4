// What only the Redis store promises, against a real redis-server: the original app's data layout
// both ways, real expiry, AUTH (password and ACL user), the database number, a Redis that is
// down, killed, restarted or stopped, and error replies. The contract test covers the rest.
#include "store/redis_store.hpp"
#include "support/redis_server.hpp"
#include "support/run_sync.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/parse.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace progressd::store {
namespace {

using namespace std::chrono_literals;
using testing::redis_server;
using testing::run_sync;
namespace net = boost::asio;
using steady = std::chrono::steady_clock;

const std::string progress_json =
    R"({"sessionId":"s","currentStep":2,"currentAction":"Installing Git \u00e9 é","complete":false})";

open_options quick_options() {
    open_options options;
    options.connect_timeout = 500ms;
    options.command_timeout = 500ms;
    return options;
}

// The lines progressd logs while this lives, as "level message".
class log_capture {
public:
    log_capture() : previous_(spdlog::default_logger()), sink_(std::make_shared<sink>()) {
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink_));
    }
    ~log_capture() { spdlog::set_default_logger(previous_); }
    log_capture(const log_capture&) = delete;
    log_capture& operator=(const log_capture&) = delete;

    /// How many lines contain `text`.
    std::size_t count(std::string_view text) const {
        const auto lines = sink_->lines();
        return static_cast<std::size_t>(std::count_if(
            lines.begin(), lines.end(),
            [text](const std::string& line) { return line.find(text) != std::string::npos; }));
    }

private:
    class sink final : public spdlog::sinks::base_sink<std::mutex> {
    public:
        std::vector<std::string> lines() {
            const std::lock_guard lock(mutex_);
            return lines_;
        }

    protected:
        void sink_it_(const spdlog::details::log_msg& msg) override {
            lines_.push_back(
                fmt::format("{} {}", spdlog::level::to_string_view(msg.level), msg.payload));
        }
        void flush_() override {}

    private:
        std::vector<std::string> lines_;
    };

    std::shared_ptr<spdlog::logger> previous_;
    std::shared_ptr<sink> sink_;
};

// A loopback port where connects hang: its listener's accept queue is full, so the kernel drops
// further SYNs, as a firewall or a vanished host would.
class blackhole {
public:
    blackhole() {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        socklen_t length = sizeof address;
        if (bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
            listen(listener_, 0) != 0 ||
            getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        port_ = ntohs(address.sin_port);
        for (int i = 0; i < 3; ++i) {
            fillers_.push_back(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
            // Non-blocking: EINPROGRESS; the handshake completes into the accept queue.
            (void)connect(fillers_.back(), reinterpret_cast<sockaddr*>(&address), length);
        }
    }
    ~blackhole() {
        for (const int fd : fillers_) ::close(fd);
        ::close(listener_);
    }
    blackhole(const blackhole&) = delete;
    blackhole& operator=(const blackhole&) = delete;

    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

private:
    int listener_ = -1;
    std::vector<int> fillers_;
    unsigned short port_ = 0;
};

// A TCP proxy in front of a real redis-server that can hold back Redis's replies, and that,
// once armed, cuts a connection right after passing on a NOSCRIPT reply: a Redis that forgot
// its scripts and then dropped the connection in the middle of a pipeline.
class cutting_proxy {
public:
    explicit cutting_proxy(unsigned short upstream) : upstream_(upstream) {
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
            listen(listener_, 16) != 0 ||
            getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        port_ = ntohs(address.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~cutting_proxy() {
        stopping_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        acceptor_.join();
        for (auto& t : pipes_) t.join();
        ::close(listener_);
    }
    cutting_proxy(const cutting_proxy&) = delete;
    cutting_proxy& operator=(const cutting_proxy&) = delete;

    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    void hold_replies(bool hold) { holding_ = hold; }
    void arm() { armed_ = true; }
    int cuts() const { return cuts_; }

private:
    void accept_loop() {
        for (;;) {
            const int client = accept(listener_, nullptr, nullptr);
            if (client < 0 || stopping_) {
                if (client >= 0) ::close(client);
                return;
            }
            const int server = socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            address.sin_port = htons(upstream_);
            (void)connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address);
            pipes_.emplace_back([this, client, server] { relay(client, server); });
        }
    }
    // Copies both ways until either side closes, the proxy stops, or it cuts after NOSCRIPT.
    void relay(int client, int server) {
        char buffer[65536];
        while (!stopping_) {
            pollfd fds[2] = {{client, POLLIN, 0}, {server, holding_ ? short{0} : short{POLLIN}, 0}};
            if (poll(fds, 2, 10) <= 0) continue;
            if (fds[0].revents != 0) {
                const auto n = read(client, buffer, sizeof buffer);
                if (n <= 0 || write(server, buffer, static_cast<std::size_t>(n)) != n) break;
            }
            if (fds[1].revents != 0) {
                const auto n = read(server, buffer, sizeof buffer);
                if (n <= 0) break;
                std::string_view data(buffer, static_cast<std::size_t>(n));
                const auto noscript = data.find("-NOSCRIPT");
                if (armed_ && noscript != std::string_view::npos) {
                    const auto end = data.find("\r\n", noscript) + 2;
                    (void)write(client, buffer, end);
                    ++cuts_;
                    break;
                }
                if (write(client, buffer, static_cast<std::size_t>(n)) != n) break;
            }
        }
        ::close(client);
        ::close(server);
    }

    unsigned short upstream_;
    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> holding_{false};
    std::atomic<bool> armed_{false};
    std::atomic<int> cuts_{0};
    std::thread acceptor_;
    std::vector<std::thread> pipes_;
};

// The pid of the redis-server behind `redis`, from INFO.
pid_t redis_pid(const redis_server& redis) {
    const std::string info = redis.cli({"INFO", "server"});
    const auto at = info.find("process_id:");
    return at == std::string::npos ? -1 : std::stoi(info.substr(at + 11));
}

class redis_store_test : public ::testing::Test {
protected:
    std::unique_ptr<store> open(const std::string& url, open_options options = quick_options()) {
        return make_redis_store(url, options, clock_);
    }
    // What opening `url` throws, or "" when it does not.
    std::string open_error(const std::string& url) {
        try {
            open(url);
        } catch (const std::exception& e) {
            return e.what();
        }
        return "";
    }
    template <class T>
    T run(net::awaitable<T> work) {
        return run_sync(ioc_, std::move(work));
    }
    // Pings every 10 ms until `s` answers; how long that took, or 10 s when it never did.
    steady::duration time_to_recover(store& s) {
        const auto start = steady::now();
        while (!run(s.ping())) {
            if (steady::now() - start > 10s) return 10s;
            std::this_thread::sleep_for(10ms);
        }
        return steady::now() - start;
    }

    manual_clock clock_;
    net::io_context ioc_;
};

//------------------------------------------------------------------------------
// The URL

TEST_F(redis_store_test, a_rediss_url_names_the_missing_tls_and_the_ways_around_it) {
    EXPECT_EQ(open_error("rediss://default:token@example.upstash.io:6379"),
              "rediss:// needs TLS, which Debian 12's hiredis 0.14 lacks: use a TLS tunnel to "
              "Redis, or the kv-rest store");
}

TEST_F(redis_store_test, a_bad_url_is_a_one_line_error_that_never_shows_the_password) {
    for (const std::string url :
         {"redis://", "redis://:secret@", "redis://u:secret@h:0", "redis://u:secret@h:99999",
          "redis://u:secret@h/db2", "redis://u:secret@h/-1", "redis://u@h", "redis://u:@h",
          "redis://:secret@h?db=2", "redis://:secret@h/2#x", "redis:// h", "http://h:6379"}) {
        SCOPED_TRACE(url);
        const auto error = open_error(url);
        EXPECT_TRUE(error.starts_with("invalid redis URL (")) << error;
        EXPECT_NE(error.find("redis://[user:password@]host:port[/db]"), std::string::npos);
        EXPECT_EQ(error.find('\n'), std::string::npos);
        EXPECT_EQ(error.find("secret"), std::string::npos);
    }
}

//------------------------------------------------------------------------------
// The original app's data, both ways

TEST_F(redis_store_test, serves_what_the_original_app_wrote) {
    redis_server redis;
    const std::string log = R"([{"tool":"git","error":"exit code 1","step":1}])";
    redis.cli({"SET", "progress:s", progress_json, "EX", "3600"});
    redis.cli({"SET", "progress:s:log", log, "EX", "3600"});
    auto s = open(redis.url());

    const auto got = run(s->get("s"));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->json, progress_json);
    EXPECT_EQ(got->version, 0u);  // the original app keeps no version
    EXPECT_EQ(*run(s->get_log("s")), log);

    EXPECT_EQ(*run(s->append_log("s", R"({"tool":"npm","step":2})", 3600s)), 2u);
    EXPECT_EQ(redis.cli({"GET", "progress:s:log"}),
              R"([{"tool":"git","error":"exit code 1","step":1},{"tool":"npm","step":2}])"
              "\n");
    EXPECT_EQ(*run(s->put("s", "{}", 3600s)), 1u);
}

TEST_F(redis_store_test, writes_what_the_original_app_reads_with_a_ttl_on_every_key) {
    redis_server redis;
    auto s = open(redis.url());
    ASSERT_EQ(*run(s->put("s", progress_json, 3600s)), 1u);
    ASSERT_EQ(*run(s->append_log("s", R"({"n":1})", 3600s)), 1u);
    ASSERT_EQ(*run(s->append_log("s", R"({"n":2})", 3600s)), 2u);

    EXPECT_EQ(redis.cli({"GET", "progress:s"}), progress_json + "\n");
    EXPECT_EQ(redis.cli({"GET", "progress:s:log"}), "[{\"n\":1},{\"n\":2}]\n");
    EXPECT_EQ(redis.cli({"TYPE", "progress:s"}), "string\n");
    for (const std::string key :
         {"progress:s", "progress:s:log", "progress:s:version", "progress:s:log:meta"}) {
        SCOPED_TRACE(key);
        const int ttl = std::stoi(redis.cli({"TTL", key}));
        EXPECT_GT(ttl, 3500);
        EXPECT_LE(ttl, 3600);
    }
}

TEST_F(redis_store_test, appends_count_right_when_the_original_app_rewrote_the_log_in_between) {
    redis_server redis;
    auto s = open(redis.url());
    ASSERT_EQ(*run(s->append_log("s", R"({"n":1})", 3600s)), 1u);
    // The original app appends by rewriting the whole array; progressd's count is then stale.
    redis.cli({"SET", "progress:s:log", R"([{"n":1},{"n":"original"}])", "EX", "3600"});
    EXPECT_EQ(*run(s->append_log("s", R"({"n":3})", 3600s)), 3u);
    EXPECT_EQ(*run(s->append_log("s", R"({"n":4})", 3600s)), 4u);
    EXPECT_EQ(*run(s->get_log("s")), R"([{"n":1},{"n":"original"},{"n":3},{"n":4}])");
    // An emptied array starts again from one.
    redis.cli({"SET", "progress:s:log", "[]", "EX", "3600"});
    EXPECT_EQ(*run(s->append_log("s", R"({"n":5})", 3600s)), 1u);
    EXPECT_EQ(*run(s->get_log("s")), R"([{"n":5}])");
}

// The only test that waits for expiry in real time: the contract test covers the rest by
// shortening the TTLs inside Redis.
TEST_F(redis_store_test, progress_and_log_expire_after_their_ttl_in_real_time) {
    redis_server redis;
    auto s = open(redis.url());
    ASSERT_TRUE(run(s->put("s", "{}", 1s)));
    ASSERT_TRUE(run(s->append_log("s", "1", 1s)));
    ASSERT_TRUE(run(s->get("s")));
    std::this_thread::sleep_for(1200ms);
    const auto r = run(s->get("s"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), store_errc::not_found);
    EXPECT_EQ(*run(s->get_log("s")), "[]");
    EXPECT_EQ(*run(s->append_log("s", "2", 1s)), 1u);
}

//------------------------------------------------------------------------------
// Credentials and the database

TEST_F(redis_store_test, authenticates_with_a_percent_encoded_password) {
    redis_server redis;  // requirepass is set afterwards: the harness's own PING has no AUTH
    const std::string port = std::to_string(redis.port());
    redis.cli({"CONFIG", "SET", "requirepass", "p@ss:w/rd é"});
    const std::string password = "p%40ss%3Aw%2Frd%20%C3%A9";

    auto s = open("redis://:" + password + "@127.0.0.1:" + port);
    ASSERT_TRUE(run(s->put("s", progress_json, 60s)));
    EXPECT_EQ(run(s->get("s"))->json, progress_json);
    auto as_default_user = open("redis://default:" + password + "@127.0.0.1:" + port);
    EXPECT_TRUE(run(as_default_user->ping()));

    const auto error = open_error("redis://:hunter2@127.0.0.1:" + port);
    EXPECT_TRUE(error.starts_with("cannot use redis at 127.0.0.1:" + port + ": AUTH refused: "))
        << error;
    EXPECT_EQ(error.find("hunter2"), std::string::npos);
}

TEST_F(redis_store_test, authenticates_as_an_acl_user_allowed_only_what_progressd_needs) {
    redis_server redis;
    const std::string port = std::to_string(redis.port());
    // The documented minimum: the progress keys, and the commands the store and its scripts run.
    redis.cli({"ACL",         "SETUSER",    "progressd", "on",       ">s3cret",
               "~progress:*", "+mget",      "+get",      "+evalsha", "+eval",
               "+set",        "+setrange",  "+strlen",   "+incr",    "+expire",
               "+publish",    "+subscribe", "+ping",     "+select",  "&progressd:events"});
    auto s = open("redis://progressd:s3cret@127.0.0.1:" + port + "/3");
    ASSERT_TRUE(run(s->put("s", progress_json, 60s)));
    ASSERT_TRUE(run(s->append_log("s", R"({"n":1})", 60s)));
    EXPECT_EQ(run(s->get("s"))->json, progress_json);
    EXPECT_EQ(*run(s->get_log("s")), R"([{"n":1}])");
    EXPECT_TRUE(run(s->ping()));
    EXPECT_EQ(redis.cli({"-n", "3", "GET", "progress:s"}), progress_json + "\n");

    EXPECT_NE(open_error("redis://progressd:nope@127.0.0.1:" + port).find("AUTH refused"),
              std::string::npos);
}

TEST_F(redis_store_test, the_database_number_in_the_path_selects_that_database) {
    redis_server redis;
    auto s = open(redis.url() + "/2");
    ASSERT_TRUE(run(s->put("s", progress_json, 60s)));
    EXPECT_EQ(redis.cli({"-n", "2", "GET", "progress:s"}), progress_json + "\n");
    EXPECT_EQ(redis.cli({"EXISTS", "progress:s"}), "0\n");
    EXPECT_NE(open_error(redis.url() + "/99").find("SELECT refused"), std::string::npos);
}

//------------------------------------------------------------------------------
// Redis down, killed, restarted, stopped

TEST_F(redis_store_test, starts_while_redis_is_down_and_recovers_within_a_second_of_its_return) {
    redis_server redis;
    redis.stop();
    const std::string address = "127.0.0.1:" + std::to_string(redis.port());
    log_capture log;
    const auto opening = steady::now();
    auto s = open(redis.url());
    EXPECT_LT(steady::now() - opening, 500ms);
    EXPECT_EQ(
        log.count("warning redis at " + address + " unreachable: Connection refused; retrying"),
        1u);

    // Down long enough for the backoff to reach its ceiling; every answer is quick.
    const auto down_since = steady::now();
    while (steady::now() - down_since < 1500ms) {
        const auto asked = steady::now();
        const auto r = run(s->ping());
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error(), store_errc::unavailable);
        // Answered without a connection attempt, so well within the 500 ms connect timeout
        // (a loaded machine once took 330 ms to schedule the answer).
        EXPECT_LT(steady::now() - asked, 400ms);
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(log.count("unreachable"), 1u);  // one line, not one per attempt

    redis.start();
    EXPECT_LT(time_to_recover(*s), 1100ms);
    EXPECT_EQ(log.count("info redis at " + address + " reachable again"), 1u);
    EXPECT_TRUE(run(s->put("s", "{}", 60s)));
}

TEST_F(redis_store_test, requests_fail_fast_while_connecting_would_hang) {
    blackhole unreachable;
    open_options options = quick_options();
    options.connect_timeout = 300ms;
    auto s = open(unreachable.url(), options);  // waits for one connect timeout, then goes on

    // Only one request per backoff period waits for a connect; all others answer at once.
    int slow = 0;
    int fast = 0;
    const auto start = steady::now();
    while (steady::now() - start < 1200ms) {
        const auto asked = steady::now();
        const auto r = run(s->ping());
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error(), store_errc::unavailable);
        (steady::now() - asked >= 250ms ? slow : fast) += 1;
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_LE(slow, 4);
    EXPECT_GE(fast, 10);
}

TEST_F(redis_store_test, a_redis_restart_costs_no_request) {
    redis_server redis;
    auto s = open(redis.url());
    const auto burst = [&](int n) {
        std::atomic<int> ok{0};
        for (int i = 0; i < n; ++i) {
            net::co_spawn(
                ioc_,
                [&, i]() -> net::awaitable<void> {
                    if (co_await s->put("s" + std::to_string(i), "{}", 60s)) ++ok;
                },
                net::detached);
        }
        ioc_.restart();
        ioc_.run();
        return ok.load();
    };
    ASSERT_EQ(burst(32), 32);  // connects the workers
    redis.stop();
    redis.start();
    // Every connection the workers hold is closed by now; each is replaced before use, and the
    // scripts the new Redis lacks are sent again.
    EXPECT_EQ(burst(32), 32);
}

TEST_F(redis_store_test, a_redis_killed_under_load_gives_errors_then_writes_resume_within_1s) {
    redis_server redis;
    auto s = open(redis.url());
    constexpr int writers = 4;
    std::atomic<bool> stop{false};
    std::atomic<bool> restarted{false};
    std::atomic<int> before_kill{0};
    std::mutex mutex;
    std::vector<boost::system::error_code> errors;
    std::vector<steady::time_point> resumed(writers);  // each written by its own thread only
    std::vector<std::thread> threads;
    threads.reserve(writers);
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            net::io_context ioc;
            for (int step = 1; !stop; ++step) {
                const bool after_restart = restarted;
                const auto r =
                    run_sync(ioc, s->put("k" + std::to_string(w), std::to_string(step), 60s));
                if (r) {
                    if (!after_restart) ++before_kill;
                    if (after_restart && resumed[w] == steady::time_point{}) {
                        resumed[w] = steady::now();
                    }
                    continue;
                }
                {
                    const std::lock_guard lock(mutex);
                    errors.push_back(r.error());
                }
                std::this_thread::sleep_for(1ms);  // errors come fast; share the CPU
            }
        });
    }
    std::this_thread::sleep_for(300ms);
    redis.stop();
    std::this_thread::sleep_for(500ms);
    redis.start();
    const auto restart = steady::now();
    restarted = true;
    std::this_thread::sleep_for(1500ms);
    stop = true;
    for (auto& t : threads) t.join();

    EXPECT_GT(before_kill.load(), 0);
    ASSERT_FALSE(errors.empty());
    for (const auto& e : errors) {
        EXPECT_TRUE(e == store_errc::unavailable || e == store_errc::timeout) << e.message();
    }
    for (int w = 0; w < writers; ++w) {
        SCOPED_TRACE(w);
        ASSERT_NE(resumed[w], steady::time_point{});
        EXPECT_LT(resumed[w] - restart, 1100ms);
    }
}

TEST_F(redis_store_test, a_stopped_redis_times_out_and_is_used_again_once_it_answers) {
    redis_server redis;
    open_options options = quick_options();
    options.command_timeout = 300ms;
    auto s = open(redis.url(), options);
    ASSERT_TRUE(run(s->put("s", "{}", 60s)));
    const pid_t pid = redis_pid(redis);
    ASSERT_GT(pid, 0);

    ASSERT_EQ(kill(pid, SIGSTOP), 0);
    const auto asked = steady::now();
    const auto r = run(s->put("s", "{}", 60s));
    const auto waited = steady::now() - asked;
    kill(pid, SIGCONT);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), store_errc::timeout);
    EXPECT_GE(waited, 250ms);
    EXPECT_LT(waited, 1500ms);
    EXPECT_LT(time_to_recover(*s), 1s);
    EXPECT_TRUE(run(s->put("s", "{}", 60s)));
}

TEST_F(redis_store_test, a_backlog_behind_a_hung_redis_times_out_without_waiting_its_turn) {
    redis_server redis;
    open_options options = quick_options();
    options.command_timeout = 300ms;
    auto s = open(redis.url(), options);
    ASSERT_TRUE(run(s->ping()));
    const pid_t pid = redis_pid(redis);
    ASSERT_GT(pid, 0);

    ASSERT_EQ(kill(pid, SIGSTOP), 0);
    std::atomic<int> timeouts{0};
    for (int i = 0; i < 1000; ++i) {
        net::co_spawn(
            ioc_,
            [&]() -> net::awaitable<void> {
                const auto r = co_await s->put("s", "{}", 60s);
                if (!r && r.error() == store_errc::timeout) ++timeouts;
            },
            net::detached);
    }
    const auto asked = steady::now();
    ioc_.restart();
    ioc_.run();
    const auto waited = steady::now() - asked;
    kill(pid, SIGCONT);
    EXPECT_EQ(timeouts.load(), 1000);
    // One command timeout for the requests sent, none more for those queued behind them; in turn
    // they would take 1000 / (4 workers x 64 per pipeline) = 4 timeouts.
    EXPECT_LT(waited, 900ms);
}

//------------------------------------------------------------------------------
// Concurrency, scripts, error replies, closing

TEST_F(redis_store_test, two_hundred_appends_from_several_threads_count_1_to_200_once_each) {
    redis_server redis;
    auto s = open(redis.url());
    std::mutex mutex;
    std::vector<std::uint64_t> counts;
    std::vector<std::thread> threads;
    threads.reserve(4);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            net::io_context ioc;
            for (int i = 0; i < 50; ++i) {
                net::co_spawn(
                    ioc,
                    [&, t, i]() -> net::awaitable<void> {
                        const auto n =
                            co_await s->append_log("race",
                                                   R"({"thread":)" + std::to_string(t) +
                                                       R"(,"i":)" + std::to_string(i) + "}",
                                                   60s);
                        const std::lock_guard lock(mutex);
                        counts.push_back(n ? *n : 0);
                    },
                    net::detached);
            }
            ioc.run();
        });
    }
    for (auto& t : threads) t.join();
    std::sort(counts.begin(), counts.end());
    std::vector<std::uint64_t> expected(200);
    std::iota(expected.begin(), expected.end(), 1);
    EXPECT_EQ(counts, expected);
    EXPECT_EQ(boost::json::parse(*run(s->get_log("race"))).as_array().size(), 200u);
}

TEST_F(redis_store_test, a_flushed_script_cache_costs_no_request) {
    redis_server redis;
    auto s = open(redis.url());
    ASSERT_EQ(*run(s->put("s", "{}", 60s)), 1u);
    ASSERT_EQ(*run(s->append_log("s", "1", 60s)), 1u);
    redis.cli({"SCRIPT", "FLUSH"});
    EXPECT_EQ(*run(s->put("s", "{}", 60s)), 2u);
    EXPECT_EQ(*run(s->append_log("s", "2", 60s)), 2u);
}

TEST_F(redis_store_test, error_replies_become_store_errors_and_a_warning) {
    redis_server redis;
    log_capture log;  // before the store, which must not outlive it while logging
    auto s = open(redis.url());

    redis.cli({"SET", "progress:s:log", "not json", "EX", "60"});
    auto appended = run(s->append_log("s", "1", 60s));
    ASSERT_FALSE(appended.has_value());
    EXPECT_EQ(appended.error(), store_errc::io_error);
    EXPECT_EQ(log.count("progress log is not a JSON array"), 1u);
    EXPECT_EQ(redis.cli({"GET", "progress:s:log"}), "not json\n");  // never replaced

    redis.cli({"RPUSH", "progress:t:log", "x"});
    const auto wrong_type = run(s->get_log("t"));
    ASSERT_FALSE(wrong_type.has_value());
    EXPECT_EQ(wrong_type.error(), store_errc::io_error);

    ASSERT_TRUE(run(s->put("full", "{}", 60s)));
    redis.cli({"CONFIG", "SET", "maxmemory", "1"});
    const auto put = run(s->put("full", "{}", 60s));
    ASSERT_FALSE(put.has_value());
    EXPECT_EQ(put.error(), store_errc::storage_full);
    EXPECT_TRUE(run(s->get("full")));  // reads still work
    redis.cli({"CONFIG", "SET", "maxmemory", "0"});
    EXPECT_TRUE(run(s->put("full", "{}", 60s)));
}

// Issue 11 item 2: a job answered NOSCRIPT, then a lost connection before the pipeline's later
// replies. Before, the NOSCRIPT job was destroyed unanswered and its caller's coroutine with it.
TEST_F(redis_store_test,
       a_connection_lost_after_a_noscript_reply_answers_every_job_of_the_pipeline) {
    redis_server redis;
    cutting_proxy proxy(redis.port());
    open_options options = quick_options();
    options.command_timeout = 3s;
    auto s = open(proxy.url(), options);
    ASSERT_TRUE(run(s->ping()));
    redis.cli({"SCRIPT", "FLUSH"});

    std::atomic<int> answered{0};
    std::atomic<int> failed{0};
    const auto ask = [&](auto operation) {
        net::co_spawn(
            ioc_,
            [&, operation]() -> net::awaitable<void> {
                const auto r = co_await operation();
                ++answered;
                if (!r) ++failed;
            },
            net::detached);
        ioc_.poll();  // queued now
    };
    // Busy every worker with a ping whose answer the proxy holds back, so that the next two jobs
    // wait in the queue and go out in one pipeline. An idle worker takes each ping at once, so
    // twice as many pings as workers leave none idle even if one took two at a time.
    proxy.hold_replies(true);
    for (int i = 0; i < 8; ++i) {
        ask([&] { return s->ping(); });
        std::this_thread::sleep_for(150ms);  // an idle worker takes it, sends it and waits
    }
    ask([&] { return s->put("s", "{}", 60s); });  // EVALSHA: NOSCRIPT, the proxy then cuts
    ask([&] { return s->get("s"); });             // its reply never comes
    proxy.arm();
    proxy.hold_replies(false);
    ioc_.restart();
    ioc_.run_for(10s);
    EXPECT_EQ(proxy.cuts(), 1);
    EXPECT_EQ(answered.load(), 10);
    EXPECT_EQ(failed.load(), 2);
}

TEST_F(redis_store_test, close_finishes_queued_requests_and_answers_later_ones_unavailable) {
    redis_server redis;
    auto s = open(redis.url());
    std::atomic<int> ok{0};
    for (int i = 0; i < 100; ++i) {
        net::co_spawn(
            ioc_,
            [&, i]() -> net::awaitable<void> {
                if (co_await s->put("s" + std::to_string(i), "{}", 60s)) ++ok;
            },
            net::detached);
    }
    ioc_.poll();  // every request is queued now
    s->close();
    ioc_.restart();
    ioc_.run();
    EXPECT_EQ(ok.load(), 100);
    EXPECT_EQ(redis.cli({"DBSIZE"}), "200\n");  // progress and version keys
    const auto late = run(s->ping());
    ASSERT_FALSE(late.has_value());
    EXPECT_EQ(late.error(), store_errc::unavailable);
}

}  // namespace
}  // namespace progressd::store
