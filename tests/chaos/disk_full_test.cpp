// The SQLite store on a disk that fills up: a 2 MiB tmpfs that a filler file (another program)
// fills to the last block. Writes must then answer 507 (or 503) with a JSON body, reads of what
// is stored must keep working, the file must stay sound, and writes must succeed again as soon
// as the filler is deleted; after a restart every write answered 200 is still there.
#include "chaos/chaos_support.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>

namespace progressd::testing {
namespace {

using boost::beast::http::verb;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr std::size_t disk_bytes = std::size_t{2} * 1024 * 1024;
constexpr int kept_sessions = 10;
constexpr int max_attempts = 3000;
constexpr int refusals_in_a_row_to_stop = 50;

// A progress body of about 8 KiB (within the text quotas), so that a few writes fill whatever
// space is left.
std::string big_body(const std::string& id, int step) {
    return R"({"sessionId":")" + id + R"(","currentStep":)" + std::to_string(step) +
           R"(,"completedSteps":[],"currentAction":")" + std::string(2000, 'x') +
           R"(","toolStatus":{},"errors":[{"tool":"git","error":")" + std::string(6000, 'e') +
           R"(","suggestedFix":"f"}],"timestamp":"2026-11-26T12:00:00.000Z",)"
           R"("phase":"phase1","complete":false})";
}

// Writes `path` in 64 KiB blocks until the file system refuses; returns the bytes written.
std::uint64_t fill_until_full(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + path);
    const std::string block(64 * 1024, 'f');
    std::uint64_t written = 0;
    for (;;) {
        const ssize_t n = ::write(fd, block.data(), block.size());
        if (n <= 0) break;  // ENOSPC
        written += static_cast<std::uint64_t>(n);
    }
    // The last partial block: tmpfs may still take a few bytes in its final page.
    for (std::size_t size = block.size() / 2; size > 0; size /= 2) {
        const ssize_t n = ::write(fd, block.data(), size);
        if (n > 0) written += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    return written;
}

// The copy of a live database that the integrity check may open without touching the original.
std::string integrity_of_copy(const std::string& db, const std::string& scratch) {
    namespace fs = std::filesystem;
    fs::create_directories(scratch);
    const std::string copy = scratch + "/copy.db";
    fs::remove(copy);
    fs::remove(copy + "-wal");
    fs::copy_file(db, copy);
    if (fs::exists(db + "-wal")) fs::copy_file(db + "-wal", copy + "-wal");
    return sqlite_integrity(copy);
}

// A refused write: 507 or 503, with a JSON body that names the failure.
void expect_refusal(const cli::http_response& r, std::string_view what) {
    EXPECT_TRUE(r.status == 507 || r.status == 503) << what << ": " << r.status << " " << r.body;
    const auto body = boost::json::parse(r.body).as_object();
    EXPECT_TRUE(body.contains("error")) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json");
}

TEST(disk_full_test, writes_are_refused_with_507_reads_work_and_writes_resume_when_space_returns) {
    small_tmpfs disk(disk_bytes);
    if (!disk.mounted()) GTEST_SKIP() << disk.error() << " (needs CAP_SYS_ADMIN)";
    temp_dir scratch;
    const std::string db = disk.path() + "/progress.db";
    const std::vector<std::string> args = {"--store", "sqlite:" + db};
    auto server = std::make_unique<server_process>(args);
    auto client = std::make_unique<cli::http_client>(server->base_url());
    std::map<std::string, std::string> acknowledged;  // session id → the body answered 200

    for (int i = 0; i < kept_sessions; ++i) {
        const std::string id = "keep-" + std::to_string(i);
        ASSERT_EQ(client->request(verb::post, "/api/progress/" + id, big_body(id, 1)).status, 200u);
        ASSERT_EQ(
            client->request(verb::post, "/api/progress/" + id + "/log", chaos_log_body("git", 1))
                .status,
            200u);
        acknowledged[id] = big_body(id, 1);
    }

    const std::string filler = disk.path() + "/filler";
    const auto filler_bytes = fill_until_full(filler);
    ASSERT_LT(disk.free_bytes(), 4096u);

    // New sessions until the store refuses steadily (pages SQLite had already allocated may
    // take a few more writes first).
    std::map<unsigned, int> statuses;
    int in_a_row = 0;
    int accepted_while_full = 0;
    std::string refusal_body;
    for (int i = 0; i < max_attempts && in_a_row < refusals_in_a_row_to_stop; ++i) {
        const std::string id = "fill-" + std::to_string(i);
        const auto r = client->request(verb::post, "/api/progress/" + id, big_body(id, 1));
        ++statuses[r.status];
        if (r.status == 200) {
            acknowledged[id] = big_body(id, 1);
            ++accepted_while_full;
            in_a_row = 0;
            continue;
        }
        expect_refusal(r, "POST " + id);
        refusal_body = r.body;
        ++in_a_row;
    }
    ASSERT_EQ(in_a_row, refusals_in_a_row_to_stop) << "the full disk never refused a write";
    expect_refusal(client->request(verb::patch, "/api/progress/keep-0",
                                   R"({"currentAction":")" + std::string(2000, 'y') + R"("})"),
                   "PATCH");
    expect_refusal(
        client->request(verb::post, "/api/progress/keep-0/log", chaos_log_body("git", 2)), "log");

    // Reads keep working, and the process stays up and healthy.
    for (int i = 0; i < kept_sessions; ++i) {
        const std::string id = "keep-" + std::to_string(i);
        const auto r = client->request(verb::get, "/api/progress/" + id);
        ASSERT_EQ(r.status, 200u) << id;
        EXPECT_EQ(r.body, acknowledged[id]);
        EXPECT_EQ(client->request(verb::get, "/api/progress/" + id + "/log").body,
                  R"({"errors":[)" + chaos_log_body("git", 1) + "]}");
    }
    EXPECT_EQ(client->request(verb::get, "/healthz").status, 200u);
    const auto ready_while_full = client->request(verb::get, "/readyz");
    EXPECT_EQ(integrity_of_copy(db, scratch.path() + "/full"), "ok");

    // Space returns: the very next write may succeed.
    std::filesystem::remove(filler);
    const auto freed = steady::now();
    int tries = 0;
    for (;; ++tries) {
        const auto r = client->request(verb::post, "/api/progress/after-0", big_body("after-0", 1));
        if (r.status == 200) break;
        ASSERT_LT(steady::now() - freed, 5s) << "writes did not resume: " << r.body;
        std::this_thread::sleep_for(10ms);
    }
    const double resume_ms =
        std::chrono::duration<double, std::milli>(steady::now() - freed).count();
    acknowledged["after-0"] = big_body("after-0", 1);
    ASSERT_EQ(client->request(verb::patch, "/api/progress/keep-0", R"({"currentStep":2})").status,
              200u);
    ASSERT_EQ(
        client->request(verb::post, "/api/progress/keep-0/log", chaos_log_body("git", 2)).status,
        200u);

    // A clean stop, a sound file, and everything answered 200 after a restart.
    EXPECT_EQ(server->terminate(), 0);
    EXPECT_EQ(sqlite_integrity(db), "ok");
    server = std::make_unique<server_process>(args);
    client = std::make_unique<cli::http_client>(server->base_url());
    for (const auto& [id, body] : acknowledged) {
        const auto r = client->request(verb::get, "/api/progress/" + id);
        ASSERT_EQ(r.status, 200u) << id;
        const int step = boost::json::parse(r.body).at("currentStep").to_number<int>();
        EXPECT_EQ(step, id == "keep-0" ? 2 : 1) << id;
    }
    EXPECT_EQ(boost::json::parse(client->request(verb::get, "/api/progress/keep-0/log").body)
                  .at("errors")
                  .as_array()
                  .size(),
              2u);

    std::string status_list;
    for (const auto& [status, n] : statuses) {
        status_list +=
            (status_list.empty() ? "" : ", ") + std::to_string(n) + "× " + std::to_string(status);
    }
    report_figure("disk full (tmpfs " + std::to_string(disk_bytes / 1024) + " KiB, filler " +
                  std::to_string(filler_bytes / 1024) + " KiB): POSTs while full: " + status_list +
                  " (" + std::to_string(accepted_while_full) +
                  " accepted into space SQLite had allocated); refusal body " + refusal_body +
                  "; /readyz while full " + std::to_string(ready_while_full.status) + " " +
                  ready_while_full.body +
                  "; reads 200; integrity_check ok; first write after "
                  "the filler was deleted succeeded after " +
                  std::to_string(tries) + " refusals, " +
                  std::to_string(static_cast<int>(resume_ms)) + " ms");
}

}  // namespace
}  // namespace progressd::testing
