// PATCH with a JSON Merge Patch against the real binary, on SQLite and on Redis: merge
// semantics, a session created from defaults, validation after the merge, and no update lost
// when many PATCHes of one session race.
#include "e2e/e2e_support.hpp"
#include "support/redis_server.hpp"

#include <boost/json/parse.hpp>

#include <thread>

namespace progressd::testing {
namespace {

namespace json = boost::json;

class patch_test : public e2e_test {
protected:
    cli::http_response patch(const std::string& id, const std::string& body) {
        return request(verb::patch, "/api/progress/" + id, body,
                       {{"Content-Type", "application/merge-patch+json"}});
    }
};

TEST_F(patch_test, a_patch_merges_into_what_is_stored_and_answers_the_result) {
    start();
    ASSERT_EQ(request(verb::post, "/api/progress/m", progress_body("m", 1)).status, 200u);
    const auto r = patch("m", R"({"currentAction":"Installing Node","currentStep":2,
        "toolStatus":{"node":{"status":"installing","version":null}},"totalSteps":7})");
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto merged = json::parse(r.body).as_object();
    EXPECT_EQ(merged.at("currentAction"), "Installing Node");
    EXPECT_EQ(merged.at("currentStep"), 2);
    EXPECT_EQ(merged.at("totalSteps"), 7);
    const auto& tools = merged.at("toolStatus").as_object();
    EXPECT_EQ(tools.at("git").at("status"), "installing");  // kept
    // Added; as RFC 7386 says, a null in a patch removes a member rather than storing null.
    EXPECT_EQ(tools.at("node").at("status"), "installing");
    EXPECT_FALSE(tools.at("node").as_object().contains("version"));
    EXPECT_EQ(request(verb::get, "/api/progress/m").body, r.body);

    // null removes a member.
    const auto removed = patch("m", R"({"toolStatus":{"git":null}})");
    EXPECT_FALSE(json::parse(removed.body).at("toolStatus").as_object().contains("git"));
}

TEST_F(patch_test, a_patch_of_a_new_session_starts_from_defaults) {
    start();
    const auto r = patch("fresh", R"({"currentAction":"Starting"})");
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto p = json::parse(r.body).as_object();
    EXPECT_EQ(p.at("sessionId"), "fresh");
    EXPECT_EQ(p.at("currentStep"), 0);
    EXPECT_TRUE(p.at("completedSteps").as_array().empty());
    EXPECT_TRUE(p.at("toolStatus").as_object().empty());
    EXPECT_EQ(p.at("phase"), "phase1");
    EXPECT_EQ(p.at("complete"), false);
    EXPECT_EQ(p.at("timestamp").as_string().size(), 24u);  // 2026-11-26T12:00:00.000Z
    EXPECT_FALSE(p.contains("totalSteps"));
}

TEST_F(patch_test, the_merged_result_is_validated_and_nothing_is_stored_when_invalid) {
    start();
    ASSERT_EQ(request(verb::post, "/api/progress/v", progress_body("v", 1)).status, 200u);
    auto r = patch("v", R"({"phase":"phase3","toolStatus":{"git":{"status":"done"}}})");
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(json::parse(r.body).at("error"), "Invalid progress data");
    EXPECT_EQ(json::parse(r.body).at("details").as_array().size(), 2u);
    r = patch("v", R"({"sessionId":"other"})");
    EXPECT_EQ(r.body, R"({"error":"Session ID mismatch"})");
    r = patch("v", R"({"currentStep":)");
    EXPECT_EQ(json::parse(r.body).at("error"), "Invalid JSON");
    EXPECT_EQ(request(verb::get, "/api/progress/v").body, progress_body("v", 1));
}

// 200 PATCHes from 20 clients, each adding its own tool to one session at the same time.
void two_hundred_tools_at_once(const std::string& base_url) {
    std::vector<std::thread> threads;
    for (int c = 0; c < 20; ++c) {
        threads.emplace_back([&, c] {
            cli::http_client client(base_url);
            for (int i = 0; i < 10; ++i) {
                const auto tool = "tool" + std::to_string(c * 10 + i);
                const auto r =
                    client.request(verb::patch, "/api/progress/race",
                                   R"({"toolStatus":{")" + tool + R"(":{"status":"success"}}})");
                EXPECT_EQ(r.status, 200u) << r.body;
            }
        });
    }
    for (auto& t : threads) t.join();
    cli::http_client client(base_url);
    const auto stored = json::parse(client.request(verb::get, "/api/progress/race").body);
    EXPECT_EQ(stored.at("toolStatus").as_object().size(), 200u);
}

TEST_F(patch_test, two_hundred_concurrent_patches_of_one_session_all_take_effect_on_sqlite) {
    start();
    two_hundred_tools_at_once(server_->base_url());
}

TEST_F(patch_test, two_hundred_concurrent_patches_of_one_session_all_take_effect_on_redis) {
    redis_server redis;
    start({"--store", redis.url()});
    two_hundred_tools_at_once(server_->base_url());
}

}  // namespace
}  // namespace progressd::testing
