// kill -9 of progressd at a random moment of a mixed write load, twenty times over one store:
// after each restart every write that was answered 200, in any earlier round, is still there
// (chaos_support.cpp defines "there" exactly). SQLite must also pass its own integrity check on
// the file each crash left behind; Redis runs with appendfsync always, and is itself killed in
// every fifth round.
#include "chaos/chaos_support.hpp"
#include "support/redis_server.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>

namespace progressd::testing {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr int rounds = 20;
constexpr int redis_crash_every = 5;
// Enough writes that a crash lands among them; the kill comes at a random moment after this.
constexpr int min_acknowledged_before_kill = 20;

// The seed comes from CHAOS_SEED when set, so that a failing run can be replayed.
std::mt19937 seeded_random() {
    unsigned seed = std::random_device{}();
    if (const char* fixed = std::getenv("CHAOS_SEED"))
        seed = static_cast<unsigned>(std::stoul(fixed));
    std::printf("CHAOS_SEED=%u\n", seed);
    return std::mt19937(seed);
}

// Runs a fresh mixed load on `base_url` for a random 150–600 ms, then `crash()`; returns the
// load, stopped. A round whose load acknowledged too little fails the test.
std::unique_ptr<mixed_load> load_then_crash(const std::string& base_url, const std::string& prefix,
                                            std::mt19937& random,
                                            const std::function<void()>& crash) {
    auto load = std::make_unique<mixed_load>(base_url, prefix);
    const auto started = steady::now();
    while (load->acknowledged() < min_acknowledged_before_kill && steady::now() - started < 5s) {
        std::this_thread::sleep_for(1ms);
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 600)(random)));
    crash();
    load->stop();
    EXPECT_GE(load->acknowledged(), min_acknowledged_before_kill) << prefix << ": load too light";
    return load;
}

// Copies the database and its WAL aside and checks the copy, so that the next progressd opens
// exactly what the crash left (opening the original here would recover and checkpoint it).
std::map<std::string, std::int64_t> check_crashed_file(const std::string& db,
                                                       const std::string& scratch) {
    namespace fs = std::filesystem;
    fs::remove_all(scratch);
    fs::create_directories(scratch);
    const std::string copy = scratch + "/copy.db";
    fs::copy_file(db, copy);
    if (fs::exists(db + "-wal")) fs::copy_file(db + "-wal", copy + "-wal");
    EXPECT_EQ(sqlite_integrity(copy), "ok");
    return sqlite_versions(copy);
}

version_reader from_map(const std::map<std::string, std::int64_t>& versions) {
    return [&versions](const std::string& id) -> std::optional<std::int64_t> {
        const auto it = versions.find(id);
        if (it == versions.end()) return std::nullopt;
        return it->second;
    };
}

// Reads progress:{id}:version of every progress session of `loads` with one MGET.
std::map<std::string, std::int64_t> redis_versions(
    const redis_server& redis, const std::vector<std::unique_ptr<mixed_load>>& loads) {
    std::vector<std::string> ids;
    for (const auto& load : loads) {
        for (const auto& s : load->sessions()) {
            if (s.what != session_ledger::kind::log) ids.push_back(s.id);
        }
    }
    std::vector<std::string> command = {"MGET"};
    for (const auto& id : ids) command.push_back("progress:" + id + ":version");
    std::istringstream lines(redis.cli(command));
    std::map<std::string, std::int64_t> out;
    std::string line;
    for (const auto& id : ids) {
        if (!std::getline(lines, line)) break;
        if (!line.empty()) out[id] = std::stoll(line);
    }
    return out;
}

void verify_all(const server_process& server, const std::vector<std::unique_ptr<mixed_load>>& loads,
                const version_reader& versions) {
    cli::http_client client(server.base_url());
    for (const auto& load : loads) {
        SCOPED_TRACE(load->shared_log_id());
        expect_acknowledged_writes_present(client, *load, versions);
    }
}

int total_acknowledged(const std::vector<std::unique_ptr<mixed_load>>& loads) {
    int n = 0;
    for (const auto& l : loads) n += l->acknowledged();
    return n;
}

TEST(kill_9_test, sqlite_keeps_every_acknowledged_write_over_twenty_crashes) {
    auto random = seeded_random();
    temp_dir dir;
    const std::string db = dir.path() + "/progress.db";
    const std::vector<std::string> args = {"--store", "sqlite:" + db, "--max-log-entries",
                                           "1000000"};
    std::vector<std::unique_ptr<mixed_load>> loads;
    std::map<std::string, std::int64_t> versions;
    double slowest_start_ms = 0;
    for (int round = 1; round <= rounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        const auto starting = steady::now();
        server_process server(args);
        slowest_start_ms =
            std::max(slowest_start_ms,
                     std::chrono::duration<double, std::milli>(steady::now() - starting).count());
        verify_all(server, loads, from_map(versions));
        if (HasFatalFailure()) return;
        loads.push_back(load_then_crash(server.base_url(), "sq" + std::to_string(round), random,
                                        [&] { server.kill(); }));
        versions = check_crashed_file(db, dir.path() + "/check");
    }
    server_process server(args);
    verify_all(server, loads, from_map(versions));
    report_figure("kill-9 sqlite: " + std::to_string(rounds) + " rounds, " +
                  std::to_string(total_acknowledged(loads)) +
                  " acknowledged writes, all present; integrity_check ok after every crash; "
                  "slowest restart to listening " +
                  std::to_string(static_cast<int>(slowest_start_ms)) + " ms");
}

TEST(kill_9_test, redis_with_appendfsync_always_keeps_every_acknowledged_write) {
    auto random = seeded_random();
    redis_server redis({"--appendonly", "yes", "--appendfsync", "always"});
    const std::vector<std::string> args = {
        "--store",           redis.url(), "--connect-timeout", "500",
        "--command-timeout", "500",       "--max-log-entries", "1000000"};
    std::vector<std::unique_ptr<mixed_load>> loads;
    int redis_crashes = 0;
    int refused_while_redis_down = 0;
    for (int round = 1; round <= rounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        server_process server(args);
        const auto versions = redis_versions(redis, loads);
        verify_all(server, loads, from_map(versions));
        if (HasFatalFailure()) return;
        const bool crash_redis = round % redis_crash_every == 0;
        loads.push_back(
            load_then_crash(server.base_url(), "rd" + std::to_string(round), random, [&] {
                if (crash_redis) {
                    redis.stop();  // SIGKILL
                    std::this_thread::sleep_for(20ms);
                }
                server.kill();
            }));
        for (const auto& f : loads.back()->failure_samples()) {
            EXPECT_TRUE(crash_redis && f.starts_with("503 {")) << f;
        }
        refused_while_redis_down += loads.back()->failures();
        if (crash_redis) {
            ++redis_crashes;
            redis.start();
        }
    }
    server_process server(args);
    const auto versions = redis_versions(redis, loads);
    verify_all(server, loads, from_map(versions));
    report_figure("kill-9 redis (appendfsync always): " + std::to_string(rounds) +
                  " progressd kills, " + std::to_string(redis_crashes) +
                  " of them with redis-server killed too; " +
                  std::to_string(total_acknowledged(loads)) +
                  " acknowledged writes, all present; " + std::to_string(refused_while_redis_down) +
                  " writes answered 503 in the 20 ms between the two kills");
}

}  // namespace
}  // namespace progressd::testing
