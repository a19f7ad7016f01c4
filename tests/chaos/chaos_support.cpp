#include "chaos/chaos_support.hpp"

#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace progressd::testing {
namespace {

using boost::beast::http::verb;
using namespace std::chrono_literals;

constexpr std::size_t failure_samples_kept = 5;

std::string tool_name(int step) { return "t" + std::to_string(step); }

int int_at(const boost::json::value& v, std::string_view key) { return v.at(key).to_number<int>(); }

}  // namespace

//------------------------------------------------------------------------------
// Bodies

std::string chaos_progress_body(const std::string& id, int step) {
    return R"({"sessionId":")" + id + R"(","currentStep":)" + std::to_string(step) +
           R"(,"completedSteps":[],"currentAction":"post )" + std::to_string(step) +
           R"(","toolStatus":{"git":{"status":"installing","version":null}},"errors":[],)"
           R"("timestamp":"2026-11-26T12:00:00.000Z","phase":"phase1","complete":false})";
}

// Sets step and action, adds tool t<step>, and removes t<step - window>: after steps 1…S the
// stored tools are exactly t<max(1, S-window+1)>…t<S>.
std::string chaos_patch_body(int step) {
    std::string body = R"({"currentStep":)" + std::to_string(step) + R"(,"currentAction":"patch )" +
                       std::to_string(step) + R"(","toolStatus":{")" + tool_name(step) +
                       R"(":{"status":"success","version":")" + std::to_string(step) + R"("})";
    if (step > mixed_load::patch_window) {
        body += R"(,")" + tool_name(step - mixed_load::patch_window) + R"(":null)";
    }
    return body + "}}";
}

std::string chaos_log_body(const std::string& tool, int step) {
    return R"({"tool":")" + tool + R"(","error":"e)" + std::to_string(step) +
           R"(","suggestedFix":"f","timestamp":"2026-11-26T12:00:00.000Z","step":)" +
           std::to_string(step) + "}";
}

//------------------------------------------------------------------------------
// The load

mixed_load::mixed_load(std::string base_url, std::string prefix, shape s)
    : base_url_(std::move(base_url)), prefix_(std::move(prefix)), shared_id_(prefix_ + "-shared") {
    const auto add = [&](session_ledger::kind k, const char* name, int count) {
        for (int i = 0; i < count; ++i) {
            session_ledger l;
            l.what = k;
            l.id = prefix_ + "-" + name + std::to_string(i);
            sessions_.push_back(l);
        }
    };
    add(session_ledger::kind::post, "post", s.post_writers);
    add(session_ledger::kind::patch, "patch", s.patch_writers);
    add(session_ledger::kind::log, "log", s.log_writers);
    // The ledger must not move once threads hold references into it.
    for (std::size_t i = 0; i < sessions_.size(); ++i) {
        threads_.emplace_back([this, i] { run_writer(i); });
    }
    for (int w = 0; w < s.shared_log_writers; ++w) {
        threads_.emplace_back([this, w] { run_shared_writer(w); });
    }
}

mixed_load::~mixed_load() { stop(); }

void mixed_load::stop() {
    stop_ = true;
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
}

int mixed_load::failures() const {
    int n = 0;
    for (const auto& s : sessions_) n += s.failures;
    const std::lock_guard lock(shared_mutex_);
    return n + static_cast<int>(std::count_if(shared_.begin(), shared_.end(),
                                              [](const shared_append& a) { return a.total < 0; }));
}

std::vector<std::string> mixed_load::failure_samples() const {
    std::vector<std::string> all;
    for (const auto& s : sessions_) {
        all.insert(all.end(), s.failure_samples.begin(), s.failure_samples.end());
    }
    const std::lock_guard lock(shared_mutex_);
    all.insert(all.end(), shared_failures_.begin(), shared_failures_.end());
    return all;
}

// One writer, one session, one write at a time. A transport failure means the server is gone:
// the thread ends, leaving `attempted` one past `acknowledged` when the write was in flight.
void mixed_load::run_writer(std::size_t index) {
    session_ledger& l = sessions_[index];
    cli::http_client client(base_url_, 5s);
    const std::string target =
        "/api/progress/" + l.id + (l.what == session_ledger::kind::log ? "/log" : "");
    for (int step = 1; !stop_; ++step) {
        const auto method = l.what == session_ledger::kind::patch ? verb::patch : verb::post;
        std::string body = l.what == session_ledger::kind::post    ? chaos_progress_body(l.id, step)
                           : l.what == session_ledger::kind::patch ? chaos_patch_body(step)
                                                                   : chaos_log_body("own", step);
        l.attempted = step;
        cli::http_response r;
        try {
            r = client.request(method, target, std::move(body));
        } catch (const std::runtime_error&) {
            return;
        }
        if (r.status == 200) {
            l.acknowledged = step;
            ++l.acknowledged_count;
            ++acknowledged_total_;
            continue;
        }
        ++l.failures;
        if (l.failure_samples.size() < failure_samples_kept) {
            l.failure_samples.push_back(std::to_string(r.status) + " " + r.body);
        }
        std::this_thread::sleep_for(5ms);
    }
}

void mixed_load::run_shared_writer(int writer) {
    cli::http_client client(base_url_, 5s);
    const std::string tool = "s" + std::to_string(writer);
    for (int step = 1; !stop_; ++step) {
        std::size_t slot = 0;
        {
            const std::lock_guard lock(shared_mutex_);
            slot = shared_.size();
            shared_.push_back({writer, step, 0});
        }
        cli::http_response r;
        try {
            r = client.request(verb::post, "/api/progress/" + shared_id_ + "/log",
                               chaos_log_body(tool, step));
        } catch (const std::runtime_error&) {
            return;
        }
        if (r.status == 200) {
            const int total = int_at(boost::json::parse(r.body), "totalErrors");
            const std::lock_guard lock(shared_mutex_);
            shared_[slot].total = total;
            ++acknowledged_total_;
            continue;
        }
        {
            const std::lock_guard lock(shared_mutex_);
            shared_[slot].total = -1;
            if (shared_failures_.size() < failure_samples_kept) {
                shared_failures_.push_back(std::to_string(r.status) + " " + r.body);
            }
        }
        std::this_thread::sleep_for(5ms);
    }
}

//------------------------------------------------------------------------------
// Verification
//
// For a session written by one writer with steps 1, 2, …: A = the highest step answered 200,
// T = the highest step sent (T = A + 1 when a write was in flight at the crash), K = the number
// of answers 200. The stored state must be that of one step S with A ≤ S ≤ T, byte for byte, and
// the store's version counter V (one per committed write) must satisfy K ≤ V ≤ T; when no write
// of the session failed, V = S exactly (steps 1…S all committed, nothing twice). An error log
// holds C entries with K ≤ C ≤ T, in step order, none twice; the entry answered totalErrors N is
// entry N. The shared log: every answered append (writer w, step i, totalErrors N) is entry N,
// each writer's entries are in step order without repeats, and C ≤ appends sent.

namespace {

void expect_progress(const session_ledger& l, const boost::json::value& stored,
                     const std::string& body) {
    const int s = int_at(stored, "currentStep");
    EXPECT_GE(s, l.acknowledged) << l.id << " lost an acknowledged write";
    EXPECT_LE(s, l.attempted) << l.id << " holds a step never sent";
    if (l.what == session_ledger::kind::post) {
        EXPECT_EQ(body, chaos_progress_body(l.id, s)) << l.id;
        return;
    }
    EXPECT_EQ(stored.at("currentAction").as_string(), "patch " + std::to_string(s)) << l.id;
    const auto& tools = stored.at("toolStatus").as_object();
    EXPECT_TRUE(tools.contains(tool_name(s))) << l.id << " step " << s;
    if (l.failures != 0) return;
    std::set<std::string> expected;
    for (int k = std::max(1, s - mixed_load::patch_window + 1); k <= s; ++k) {
        expected.insert(tool_name(k));
    }
    std::set<std::string> actual;
    for (const auto& [name, value] : tools) actual.insert(std::string(name));
    EXPECT_EQ(actual, expected) << l.id << " is not the merge of patches 1…" << s;
}

void expect_version(const session_ledger& l, int stored_step, const version_reader& versions) {
    if (!versions || l.what == session_ledger::kind::log || l.acknowledged == 0) return;
    const auto v = versions(l.id);
    ASSERT_TRUE(v.has_value()) << l.id << " has no version counter";
    EXPECT_GE(*v, l.acknowledged_count) << l.id;
    EXPECT_LE(*v, l.attempted) << l.id;
    if (l.failures == 0) {
        EXPECT_EQ(*v, stored_step) << l.id << ": a write counted twice or lost";
    }
}

void expect_own_log(const session_ledger& l, const boost::json::array& entries) {
    const auto c = static_cast<int>(entries.size());
    EXPECT_GE(c, l.acknowledged_count) << l.id << " lost an acknowledged append";
    EXPECT_LE(c, l.attempted) << l.id;
    int previous = 0;
    for (const auto& e : entries) {
        const int step = int_at(e, "step");
        EXPECT_GT(step, previous) << l.id << ": entries out of order or repeated";
        previous = step;
    }
    if (l.failures == 0) {
        for (int k = 0; k < c; ++k) {
            EXPECT_EQ(int_at(entries[static_cast<std::size_t>(k)], "step"), k + 1) << l.id;
        }
        EXPECT_GE(c, l.acknowledged) << l.id;
    }
}

void expect_shared_log(const mixed_load& load, const boost::json::array& entries) {
    const auto& appends = load.shared_appends();
    int max_total = 0;
    for (const auto& a : appends) {
        if (a.total <= 0) continue;
        max_total = std::max(max_total, a.total);
        ASSERT_LE(static_cast<std::size_t>(a.total), entries.size())
            << "shared log lost entry " << a.total;
        const auto& e = entries[static_cast<std::size_t>(a.total - 1)];
        EXPECT_EQ(e.at("tool").as_string(), "s" + std::to_string(a.writer)) << "entry " << a.total;
        EXPECT_EQ(int_at(e, "step"), a.step) << "entry " << a.total;
    }
    EXPECT_LE(entries.size(), appends.size());
    std::map<std::string, int> last_step;
    for (const auto& e : entries) {
        const std::string tool(e.at("tool").as_string());
        const int step = int_at(e, "step");
        EXPECT_GT(step, last_step[tool]) << "shared log: " << tool << " out of order or repeated";
        last_step[tool] = step;
    }
}

}  // namespace

void expect_acknowledged_writes_present(cli::http_client& client, const mixed_load& load,
                                        const version_reader& versions) {
    for (const auto& l : load.sessions()) {
        if (l.attempted == 0) continue;
        if (l.what == session_ledger::kind::log) {
            const auto r = client.request(verb::get, "/api/progress/" + l.id + "/log");
            ASSERT_EQ(r.status, 200u) << l.id;
            expect_own_log(l, boost::json::parse(r.body).at("errors").as_array());
            continue;
        }
        const auto r = client.request(verb::get, "/api/progress/" + l.id);
        if (l.acknowledged == 0 && r.status == 404) continue;
        ASSERT_EQ(r.status, 200u) << l.id << " " << r.body;
        const auto stored = boost::json::parse(r.body);
        expect_progress(l, stored, r.body);
        expect_version(l, int_at(stored, "currentStep"), versions);
    }
    const auto r = client.request(verb::get, "/api/progress/" + load.shared_log_id() + "/log");
    ASSERT_EQ(r.status, 200u);
    expect_shared_log(load, boost::json::parse(r.body).at("errors").as_array());
}

//------------------------------------------------------------------------------
// SQLite

namespace {

struct sqlite_closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using sqlite_ptr = std::unique_ptr<sqlite3, sqlite_closer>;

// Opens `path` read-write (a crashed writer leaves a WAL that the first opener recovers).
sqlite_ptr open_database(const std::string& path, std::string& error) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    sqlite_ptr db(raw);
    if (rc != SQLITE_OK) error = "cannot open " + path + ": " + sqlite3_errstr(rc);
    if (db) sqlite3_busy_timeout(db.get(), 5000);
    return db;
}

}  // namespace

std::string sqlite_integrity(const std::string& path) {
    std::string error;
    auto db = open_database(path, error);
    if (!error.empty()) return error;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db.get(), "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
        return std::string("cannot run integrity_check: ") + sqlite3_errmsg(db.get());
    }
    std::string result;
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (!result.empty()) result += "; ";
        result += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    if (rc != SQLITE_DONE) result += std::string(" (error: ") + sqlite3_errmsg(db.get()) + ")";
    sqlite3_finalize(stmt);
    return result;
}

std::map<std::string, std::int64_t> sqlite_versions(const std::string& path) {
    std::string error;
    auto db = open_database(path, error);
    if (!error.empty()) throw std::runtime_error(error);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db.get(), "SELECT session_id, version FROM progress", -1, &stmt,
                           nullptr) != SQLITE_OK) {
        throw std::runtime_error(std::string("cannot read versions: ") + sqlite3_errmsg(db.get()));
    }
    std::map<std::string, std::int64_t> out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        out[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))] =
            sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);
    return out;
}

//------------------------------------------------------------------------------
// Measurements

double latency_samples::percentile(double p) const {
    if (ms.empty()) return 0;
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1));
    return sorted[std::min(rank, sorted.size() - 1)];
}

int open_fds(int pid) {
    std::error_code ec;
    std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
    if (ec) return -1;
    int n = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (ec) return -1;
        ++n;
    }
    return n;
}

long raise_fd_limit() {
    rlimit l{};
    getrlimit(RLIMIT_NOFILE, &l);
    l.rlim_cur = l.rlim_max;
    setrlimit(RLIMIT_NOFILE, &l);
    getrlimit(RLIMIT_NOFILE, &l);
    return static_cast<long>(l.rlim_cur);
}

void report_figure(const std::string& text) {
    std::printf("CHAOS-FIGURE %s\n", text.c_str());
    std::fflush(stdout);
}

//------------------------------------------------------------------------------
// tmpfs

small_tmpfs::small_tmpfs(std::size_t bytes) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "progressd-chaos-fs-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    if (mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0) {
        mounted_ = true;
    } else {
        error_ = std::string("mount -t tmpfs failed: ") + std::strerror(errno);
    }
}

small_tmpfs::~small_tmpfs() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::uint64_t small_tmpfs::free_bytes() const {
    struct statvfs s {};
    if (statvfs(path_.c_str(), &s) != 0) return 0;
    return static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize;
}

}  // namespace progressd::testing
