// Redis going away under a steady write load, three ways: killed and restarted, DEBUG SLEEP 2
// (the server hangs), CLIENT PAUSE 2000 (commands held). Each request must be answered within
// a bound set by the command timeout, every failure must be a 503 with a JSON body, writes must
// succeed again within a second of Redis returning, and no acknowledged write may be lost or
// overwritten by an older one that Redis ran late.
#include "chaos/chaos_support.hpp"
#include "support/redis_server.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>

#include <array>
#include <cstdio>
#include <functional>

namespace progressd::testing {
namespace {

using boost::beast::http::verb;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr int command_timeout_ms = 500;
constexpr int connect_timeout_ms = 500;
// A request can wait in the queue for up to one command timeout (then it fails unsent) and then
// for its reply for up to another; the margin is for a busy 2-core machine.
constexpr double latency_bound_ms = 2 * command_timeout_ms + 400;
constexpr double recovery_bound_ms = 1100;  // the backoff tops out at 1 s
constexpr int writers = 4;

struct timed_request {
    double start_ms;  ///< since the load started
    double latency_ms;
    unsigned status;
    std::string body;  ///< kept for the non-200 answers only
};

// `writers` threads, each POSTing progress to a session of its own with steps 1, 2, …, and
// one more appending to an error log; every request timed.
class timed_load {
public:
    explicit timed_load(const std::string& base_url)
        : started_(steady::now()), records_(writers + 1) {
        for (int w = 0; w <= writers; ++w) {
            threads_.emplace_back([this, base_url, w] { run(base_url, w); });
        }
    }
    ~timed_load() { stop(); }

    void stop() {
        stop_ = true;
        for (auto& t : threads_) {
            if (t.joinable()) t.join();
        }
    }
    /// Lets each thread run to its next 200, for at most `limit`, then stops the rest.
    void finish_after_next_success(std::chrono::milliseconds limit) {
        finish_ = true;
        const auto deadline = steady::now() + limit;
        while (finished_ < static_cast<int>(threads_.size()) && steady::now() < deadline) {
            std::this_thread::sleep_for(10ms);
        }
        stop();
    }
    double now_ms() const {
        return std::chrono::duration<double, std::milli>(steady::now() - started_).count();
    }
    static std::string session(int w) { return "outage-" + std::to_string(w); }
    static std::string log_session() { return "outage-log"; }

    std::vector<timed_request> all() const {
        std::vector<timed_request> out;
        for (const auto& r : records_) out.insert(out.end(), r.begin(), r.end());
        return out;
    }
    /// The last step answered 200 and the number of answers 200, per progress writer.
    int last_acknowledged(int w) const { return last_ack_[static_cast<std::size_t>(w)]; }
    int acknowledged_count(int w) const { return ack_count_[static_cast<std::size_t>(w)]; }

private:
    void run(const std::string& base_url, int w) {
        cli::http_client client(base_url, 10s);
        auto& mine = records_[static_cast<std::size_t>(w)];
        const bool log = w == writers;
        for (int step = 1; !stop_; ++step) {
            const double start = now_ms();
            cli::http_response r;
            try {
                r = log ? client.request(verb::post, "/api/progress/" + log_session() + "/log",
                                         chaos_log_body("git", step))
                        : client.request(verb::post, "/api/progress/" + session(w),
                                         chaos_progress_body(session(w), step));
            } catch (const std::runtime_error& e) {
                r.status = 0;  // no answer at all: analyse() reports it
                r.body = e.what();
            }
            mine.push_back({start, now_ms() - start, r.status, r.status == 200 ? "" : r.body});
            if (r.status == 200) {
                last_ack_[static_cast<std::size_t>(w)] = step;
                ++ack_count_[static_cast<std::size_t>(w)];
                if (finish_) break;
                continue;
            }
            std::this_thread::sleep_for(5ms);
        }
        ++finished_;
    }

    const steady::time_point started_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> finish_{false};
    std::atomic<int> finished_{0};
    std::vector<std::vector<timed_request>> records_;
    std::array<int, writers + 1> last_ack_{};
    std::array<int, writers + 1> ack_count_{};
    std::vector<std::thread> threads_;
};

struct outage_figures {
    latency_samples before;  ///< requests finished before the outage began
    latency_samples during;  ///< requests started between its start and Redis being back
    int during_failed = 0;
    std::map<std::string, int> causes;
    double recovery_ms = -1;  ///< Redis back → the first 200 completed after it
};

std::string fmt(double ms) {
    char b[32];
    std::snprintf(b, sizeof b, ms < 10 ? "%.2f" : "%.0f", ms);
    return b;
}

// Every failure is a 503 whose JSON body names the action and a cause; tallies them.
outage_figures analyse(const timed_load& load, double down_ms, double up_ms) {
    outage_figures f;
    for (const auto& r : load.all()) {
        if (r.start_ms + r.latency_ms < down_ms) f.before.ms.push_back(r.latency_ms);
        if (r.start_ms >= down_ms && r.start_ms < up_ms) {
            f.during.ms.push_back(r.latency_ms);
            if (r.status != 200) ++f.during_failed;
        }
        EXPECT_LE(r.latency_ms, latency_bound_ms)
            << "a request waited too long at " << r.start_ms << " ms";
        if (r.status == 200) {
            const double done = r.start_ms + r.latency_ms;
            if (done >= up_ms && (f.recovery_ms < 0 || done - up_ms < f.recovery_ms)) {
                f.recovery_ms = done - up_ms;
            }
            continue;
        }
        EXPECT_EQ(r.status, 503u) << r.body;
        if (r.status == 0) continue;
        const auto body = boost::json::parse(r.body).as_object();
        EXPECT_TRUE(body.contains("error")) << r.body;
        ++f.causes[body.contains("cause") ? std::string(body.at("cause").as_string()) : "?"];
    }
    EXPECT_GE(f.recovery_ms, 0) << "no write succeeded after Redis returned";
    EXPECT_LT(f.recovery_ms, recovery_bound_ms);
    return f;
}

std::string describe(const std::string& name, const outage_figures& f) {
    std::string causes;
    for (const auto& [cause, n] : f.causes) {
        causes += (causes.empty() ? "" : ", ") + std::to_string(n) + "× \"" + cause + "\"";
    }
    return name + ": before p50 " + fmt(f.before.percentile(50)) + " ms, p99 " +
           fmt(f.before.percentile(99)) + " ms; during: " + std::to_string(f.during.ms.size()) +
           " requests started, " + std::to_string(f.during_failed) + " failed; p99 " +
           fmt(f.during.percentile(99)) + " ms, max " + fmt(f.during.max()) +
           " ms; every failure: " + causes + "; first 200 " + fmt(f.recovery_ms) +
           " ms after Redis was back";
}

std::unique_ptr<server_process> start_progressd(const redis_server& redis) {
    return std::make_unique<server_process>(std::vector<std::string>{
        "--store", redis.url(), "--connect-timeout", std::to_string(connect_timeout_ms),
        "--command-timeout", std::to_string(command_timeout_ms), "--max-log-entries", "1000000"});
}

// After the load stopped at each writer's first 200 past the outage: that write is what is
// stored (an older write that Redis ran late must not have replaced it), and the counts of
// writes Redis applied though progressd answered 503.
std::string expect_last_writes_stored(const server_process& server, const redis_server& redis,
                                      const timed_load& load) {
    cli::http_client client(server.base_url());
    int applied_after_503 = 0;
    for (int w = 0; w < writers; ++w) {
        const auto r = client.request(verb::get, "/api/progress/" + timed_load::session(w));
        EXPECT_EQ(r.status, 200u);
        if (r.status != 200) continue;
        EXPECT_EQ(boost::json::parse(r.body).at("currentStep").to_number<int>(),
                  load.last_acknowledged(w))
            << timed_load::session(w) << ": the last acknowledged write was overwritten";
        const auto version = redis.cli({"GET", "progress:" + timed_load::session(w) + ":version"});
        applied_after_503 += std::stoi(version) - load.acknowledged_count(w);
    }
    const auto log =
        client.request(verb::get, "/api/progress/" + timed_load::log_session() + "/log");
    const auto entries = boost::json::parse(log.body).at("errors").as_array();
    const int extra_entries = static_cast<int>(entries.size()) - load.acknowledged_count(writers);
    EXPECT_GE(extra_entries, 0);
    return std::to_string(applied_after_503) + " progress writes and " +
           std::to_string(extra_entries) + " log appends answered 503 were applied by Redis anyway";
}

TEST(redis_outage_test, a_restart_under_load_answers_503_quickly_and_recovers_within_a_second) {
    redis_server redis({"--appendonly", "yes", "--appendfsync", "always"});
    auto server = start_progressd(redis);
    timed_load load(server->base_url());
    std::this_thread::sleep_for(1s);
    const double down = load.now_ms();
    redis.stop();
    std::this_thread::sleep_for(1s);
    redis.start();  // returns once it answers PING
    const double up = load.now_ms();
    std::this_thread::sleep_for(1500ms);
    load.finish_after_next_success(3s);
    const auto f = analyse(load, down, up);
    EXPECT_GT(f.during_failed, 0);
    const std::string stale = expect_last_writes_stored(*server, redis, load);
    report_figure(describe("redis SIGKILL, down 1 s, restarted", f) + "; " + stale);
    EXPECT_TRUE(server->running());
}

// Runs `pause` (which returns when Redis answers again) under the load and checks the outcome.
void pause_scenario(const std::string& name, const std::function<void(redis_server&)>& pause) {
    redis_server redis({"--enable-debug-command", "local"});
    auto server = start_progressd(redis);
    timed_load load(server->base_url());
    std::this_thread::sleep_for(1s);
    const double down = load.now_ms();
    pause(redis);
    const double up = load.now_ms();
    load.finish_after_next_success(3s);
    std::this_thread::sleep_for(300ms);  // anything Redis still holds runs now
    const auto f = analyse(load, down, up);
    EXPECT_GT(f.during_failed, 0) << "the pause did not show";
    const std::string stale = expect_last_writes_stored(*server, redis, load);
    report_figure(describe(name, f) + "; " + stale);
}

TEST(redis_outage_test, debug_sleep_2_is_bounded_by_the_command_timeout) {
    pause_scenario("redis DEBUG SLEEP 2", [](redis_server& redis) {
        redis.cli({"DEBUG", "SLEEP", "2"});  // blocks until Redis wakes
    });
}

TEST(redis_outage_test, client_pause_2000_is_bounded_by_the_command_timeout) {
    pause_scenario("redis CLIENT PAUSE 2000", [](redis_server& redis) {
        const auto started = steady::now();
        redis.cli({"CLIENT", "PAUSE", "2000"});
        std::this_thread::sleep_until(started + 2000ms);
    });
}

}  // namespace
}  // namespace progressd::testing
