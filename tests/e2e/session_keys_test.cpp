// Issue 11, item 1: a session id never names another session's keys. On every backend alike an
// id ending in a reserved key suffix ("a:log") is refused with 400 before any store is asked,
// and session "a" stays exactly as it was; on the Redis layouts, a session that the original app
// wrote with raw commands is still read.
#include "e2e/e2e_support.hpp"
#include "support/redis_server.hpp"
#include "support/upstash_endpoint.hpp"

#include <boost/json/parse.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace progressd::testing {
namespace {

enum class backend { memory, sqlite, redis, kv_rest };

std::string backend_name(const ::testing::TestParamInfo<backend>& info) {
    switch (info.param) {
        case backend::memory:
            return "memory";
        case backend::sqlite:
            return "sqlite";
        case backend::redis:
            return "redis";
        case backend::kv_rest:
            return "kv_rest";
    }
    return "unknown";
}

void PrintTo(backend b, std::ostream* os) {
    *os << backend_name(::testing::TestParamInfo<backend>(b, 0));
}

// The suffixes of docs/storage.md, written out here so that dropping one from the rule fails.
const std::vector<std::string> reserved_suffixes = {":log",      ":version",  ":key",
                                                    ":log:meta", ":timeline", ":tombstone"};

std::string refusal(const std::string& suffix) {
    return R"({"error":"Invalid session ID","details":[{"message":"session ID must not end with ')" +
           suffix + "' (reserved: it would name a key of another session)\"}]}";
}

class session_keys_test : public ::testing::TestWithParam<backend> {
protected:
    void SetUp() override {
        std::vector<std::string> args;
        switch (GetParam()) {
            case backend::memory:
                args = {"--store", "memory:"};
                break;
            case backend::sqlite:
                args = {"--store", "sqlite:" + dir_.path() + "/progress.db"};
                break;
            case backend::redis:
                redis_ = std::make_unique<redis_server>();
                args = {"--store", redis_->url()};
                break;
            case backend::kv_rest: {
                redis_ = std::make_unique<redis_server>();
                rest_ = std::make_unique<upstash_endpoint>(*redis_, "rest-token");
                const std::string env = dir_.path() + "/kv.env";
                std::ofstream(env)
                    << "KV_REST_API_URL=" << rest_->url() << "\nKV_REST_API_TOKEN=rest-token\n";
                args = {"--env-file", env};
                break;
            }
        }
        server_ = std::make_unique<server_process>(args);
        client_ = std::make_unique<cli::http_client>(server_->base_url());
    }

    cli::http_response request(verb method, const std::string& target, std::string body = {}) {
        return client_->request(method, target, std::move(body));
    }

    temp_dir dir_;
    std::unique_ptr<redis_server> redis_;
    std::unique_ptr<upstash_endpoint> rest_;
    std::unique_ptr<server_process> server_;
    std::unique_ptr<cli::http_client> client_;
};

TEST_P(session_keys_test, an_id_ending_in_a_key_suffix_is_refused_and_harms_no_session) {
    ASSERT_EQ(request(verb::post, "/api/progress/a", progress_body("a", 3)).status, 200u);
    ASSERT_EQ(request(verb::post, "/api/progress/a/log", log_body(1)).status, 200u);
    ASSERT_EQ(request(verb::post, "/api/progress/a/log", log_body(2)).status, 200u);
    const auto progress_before = request(verb::get, "/api/progress/a");
    const auto log_before = request(verb::get, "/api/progress/a/log");
    ASSERT_EQ(progress_before.status, 200u);
    ASSERT_EQ(log_before.body, R"({"errors":[)" + log_body(1) + "," + log_body(2) + "]}");

    for (const auto& suffix : reserved_suffixes) {
        SCOPED_TRACE(suffix);
        const std::string id = "a" + suffix;
        const std::string path = "/api/progress/" + cli::encode_path_segment(id);
        for (const auto& [method, target, body] :
             std::vector<std::tuple<verb, std::string, std::string>>{
                 {verb::post, path, progress_body(id, 9)},
                 {verb::post, path + "/log", log_body(9)},
                 {verb::patch, path, R"({"currentStep":9})"},
                 {verb::delete_, path, ""},
                 {verb::get, path, ""},
                 {verb::get, path + "/log", ""},
                 {verb::get, path + "/events", ""},
                 {verb::post, "/api/progress/a" + suffix, progress_body(id, 9)}}) {
            const auto r = request(method, target, body);
            EXPECT_EQ(r.status, 400u) << target;
            EXPECT_EQ(r.body, refusal(suffix)) << target;
        }
    }
    EXPECT_EQ(request(verb::get, "/api/progress/a").body, progress_before.body);
    EXPECT_EQ(request(verb::get, "/api/progress/a/log").body, log_before.body);
    // The session still takes writes: nothing of it was locked or broken.
    EXPECT_EQ(request(verb::post, "/api/progress/a/log", log_body(3)).status, 200u);
    EXPECT_EQ(request(verb::post, "/api/progress/a", progress_body("a", 4)).status, 200u);
    EXPECT_EQ(request(verb::get, "/api/progress/a").body, progress_body("a", 4));
    if (redis_) {
        // Exactly the keys of "a", and none that a refused id would have made.
        std::set<std::string> keys;
        std::istringstream lines(redis_->cli({"KEYS", "progress:*"}));
        for (std::string line; std::getline(lines, line);) keys.insert(line);
        EXPECT_EQ(keys, (std::set<std::string>{"progress:a", "progress:a:log", "progress:a:version",
                                               "progress:a:log:meta"}));
    }
}

// Ids that merely contain the words, or end in something else, are ordinary sessions.
TEST_P(session_keys_test, ids_near_the_reserved_suffixes_are_ordinary_sessions) {
    for (const std::string id : {"a:logs", "a:LOG", "a:log:x", "log", "a:meta", "a:"}) {
        SCOPED_TRACE(id);
        const std::string path = "/api/progress/" + cli::encode_path_segment(id);
        EXPECT_EQ(request(verb::post, path, progress_body(id, 1)).status, 200u);
        EXPECT_EQ(request(verb::post, path + "/log", log_body(1)).status, 200u);
        EXPECT_EQ(request(verb::get, path).body, progress_body(id, 1));
        EXPECT_EQ(request(verb::get, path + "/log").body, R"({"errors":[)" + log_body(1) + "]}");
    }
}

INSTANTIATE_TEST_SUITE_P(every_store, session_keys_test,
                         ::testing::Values(backend::memory, backend::sqlite, backend::redis,
                                           backend::kv_rest),
                         backend_name);

class original_layout_test : public session_keys_test {};

// The original app writes with plain SET ... EX and never touches :version or :log:meta.
TEST_P(original_layout_test, a_session_written_by_the_original_app_is_read_and_extended) {
    const std::string progress = progress_body("abc", 2, "Installing Node");
    const std::string log = "[" + log_body(1) + "," + log_body(2) + "]";
    EXPECT_EQ(redis_->cli({"SET", "progress:abc", progress, "EX", "3600"}), "OK\n");
    EXPECT_EQ(redis_->cli({"SET", "progress:abc:log", log, "EX", "3600"}), "OK\n");

    const auto read = request(verb::get, "/api/progress/abc");
    EXPECT_EQ(read.status, 200u);
    EXPECT_EQ(read.body, progress);
    EXPECT_EQ(request(verb::get, "/api/progress/abc/log").body, R"({"errors":)" + log + "}");
    const auto appended = request(verb::post, "/api/progress/abc/log", log_body(3));
    EXPECT_EQ(appended.status, 200u);
    EXPECT_EQ(boost::json::parse(appended.body).at("totalErrors"), 3);
    EXPECT_EQ(redis_->cli({"GET", "progress:abc:log"}),
              "[" + log_body(1) + "," + log_body(2) + "," + log_body(3) + "]\n");
}

INSTANTIATE_TEST_SUITE_P(redis_layouts, original_layout_test,
                         ::testing::Values(backend::redis, backend::kv_rest), backend_name);

}  // namespace
}  // namespace progressd::testing
