// The API over real sockets against the real binary: the original's routes, bodies, status
// codes and CORS headers, and the documented improvements over it.
#include "e2e/e2e_support.hpp"

#include <boost/json/parse.hpp>

#include <mutex>
#include <set>
#include <thread>

namespace progressd::testing {
namespace {

void expect_cors_json(const cli::http_response& r) {
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("access-control-allow-origin"), "*");
    EXPECT_EQ(r.header("access-control-allow-methods"), "GET, POST, PATCH, DELETE, OPTIONS");
    EXPECT_EQ(r.header("access-control-allow-headers"),
              "Content-Type, Authorization, X-Write-Key, X-Request-Id, Last-Event-ID");
    EXPECT_EQ(r.header("x-request-id").size(), 16u);
}

class api_test : public e2e_test {
protected:
    void SetUp() override { start(); }
};

TEST_F(api_test, the_original_flow_store_read_log_and_read_log) {
    auto r = request(verb::post, "/api/progress/s1", progress_body("s1", 2));
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, R"({"success":true,"sessionId":"s1"})");

    r = request(verb::get, "/api/progress/s1");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, progress_body("s1", 2));

    r = request(verb::post, "/api/progress/s1/log", log_body(2));
    EXPECT_EQ(r.body, R"({"success":true,"sessionId":"s1","totalErrors":1})");
    r = request(verb::post, "/api/progress/s1/log", log_body(3));
    EXPECT_EQ(r.body, R"({"success":true,"sessionId":"s1","totalErrors":2})");

    r = request(verb::get, "/api/progress/s1/log");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, R"({"errors":[)" + log_body(2) + "," + log_body(3) + "]}");
}

TEST_F(api_test, absent_sessions_are_404_and_absent_logs_are_empty) {
    auto r = request(verb::get, "/api/progress/nobody");
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(r.body, R"({"error":"Session not found"})");
    r = request(verb::get, "/api/progress/nobody/log");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, R"({"errors":[]})");
}

TEST_F(api_test, every_answer_carries_cors_headers_errors_included) {
    const std::vector<std::pair<verb, std::string>> requests = {
        {verb::get, "/api/progress/x"},
        {verb::options, "/api/progress/x"},
        {verb::options, "/api/progress/x/log"},
        {verb::get, "/nowhere"},
        {verb::delete_, "/api/progress/x"},
        {verb::post, "/api/progress/x"},
        {verb::get, "/healthz"},
        {verb::get, "/api/progress/a%2Fb"},
    };
    for (const auto& [method, target] : requests) {
        SCOPED_TRACE(target);
        expect_cors_json(request(method, target, method == verb::post ? "{" : ""));
    }
}

TEST_F(api_test, options_preflight_answers_an_empty_object) {
    const auto r =
        request(verb::options, "/api/progress/x", {},
                {{"Origin", "http://dashboard.test"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "{}");
}

TEST_F(api_test, unknown_routes_are_404_and_missing_methods_405_with_allow) {
    auto r = request(verb::get, "/api/other");
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(r.body, R"({"error":"Not found"})");
    r = request(verb::put, "/api/progress/x", progress_body("x", 1));
    EXPECT_EQ(r.status, 405u);
    EXPECT_EQ(r.header("allow"), "GET, HEAD, POST, PATCH, DELETE, OPTIONS");
    EXPECT_EQ(r.body, R"({"error":"Method not allowed"})");
    r = request(verb::post, "/healthz");
    EXPECT_EQ(r.status, 405u);
    EXPECT_EQ(r.header("allow"), "GET, HEAD");
}

TEST_F(api_test, bad_json_is_400_with_a_position_and_nothing_is_stored) {
    for (const std::string& body : {std::string("{\"sessionId\":\"s\""), std::string(""),
                                    progress_body("s", 1) + " trailing"}) {
        SCOPED_TRACE(body);
        const auto r = request(verb::post, "/api/progress/s", body);
        EXPECT_EQ(r.status, 400u);
        const auto json = boost::json::parse(r.body).as_object();
        EXPECT_EQ(json.at("error"), "Invalid JSON");
        EXPECT_TRUE(json.at("details").as_array()[0].as_object().contains("position"));
    }
    EXPECT_EQ(request(verb::get, "/api/progress/s").status, 404u);
}

TEST_F(api_test, invalid_data_is_400_with_zod_issues_and_keeps_what_was_stored) {
    ASSERT_EQ(request(verb::post, "/api/progress/s", progress_body("s", 1)).status, 200u);
    auto r = request(verb::post, "/api/progress/s", R"({"sessionId":"s","phase":"phase9"})");
    EXPECT_EQ(r.status, 400u);
    const auto json = boost::json::parse(r.body).as_object();
    EXPECT_EQ(json.at("error"), "Invalid progress data");
    EXPECT_EQ(json.at("details").as_array().size(), 8u);
    EXPECT_EQ(request(verb::get, "/api/progress/s").body, progress_body("s", 1));

    r = request(verb::post, "/api/progress/s/log", R"({"tool":"git"})");
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(boost::json::parse(r.body).at("error"), "Invalid error log entry");
    EXPECT_EQ(request(verb::get, "/api/progress/s/log").body, R"({"errors":[]})");
}

TEST_F(api_test, a_body_for_another_session_is_a_mismatch) {
    const auto r = request(verb::post, "/api/progress/mine", progress_body("theirs", 1));
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(r.body, R"({"error":"Session ID mismatch"})");
    EXPECT_EQ(request(verb::get, "/api/progress/theirs").status, 404u);
}

TEST_F(api_test, session_ids_are_checked_after_url_decoding) {
    EXPECT_EQ(request(verb::get, "/api/progress/" + std::string(201, 'x')).status, 400u);
    EXPECT_EQ(request(verb::get, "/api/progress/a%2Fb").status, 400u);
    EXPECT_EQ(request(verb::get, "/api/progress/a%0Ab").status, 400u);
    const std::string spaced = "client laptop \xC3\xA9";
    const auto target = "/api/progress/" + cli::encode_path_segment(spaced);
    EXPECT_EQ(request(verb::post, target, progress_body(spaced, 1)).status, 200u);
    EXPECT_EQ(request(verb::get, target).body, progress_body(spaced, 1));
}

TEST_F(api_test, a_body_over_the_limit_is_413_and_nothing_is_stored) {
    std::string big = progress_body("s", 1, std::string(70 * 1024, 'a'));
    const auto r = request(verb::post, "/api/progress/s", big);
    EXPECT_EQ(r.status, 413u);
    EXPECT_EQ(boost::json::parse(r.body).at("maxBytes"), 65536);
    expect_cors_json(r);
    EXPECT_EQ(request(verb::get, "/api/progress/s").status, 404u);
}

TEST_F(api_test, latin1_bodies_from_windows_powershell_arrive_intact) {
    const std::string latin1 = progress_body("ps", 1,
                                             "Installation \xE9"
                                             "chou\xE9"
                                             "e");
    auto r =
        request(verb::post, "/api/progress/ps", latin1, {{"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 200u);
    EXPECT_NE(request(verb::get, "/api/progress/ps")
                  .body.find("Installation \xC3\xA9"
                             "chou\xC3\xA9"
                             "e"),
              std::string::npos);

    // With charset=utf-8 declared, invalid bytes become U+FFFD and the update still succeeds.
    r = request(verb::post, "/api/progress/ps", latin1,
                {{"Content-Type", "application/json; charset=utf-8"}});
    ASSERT_EQ(r.status, 200u);
    EXPECT_NE(request(verb::get, "/api/progress/ps")
                  .body.find("Installation \xEF\xBF\xBD"
                             "chou"),
              std::string::npos);
}

TEST_F(api_test, form_content_type_is_parsed_as_json_like_the_original) {
    const auto r = request(verb::post, "/api/progress/curl", progress_body("curl", 1),
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(r.status, 200u);
}

TEST_F(api_test, two_hundred_concurrent_log_appends_are_all_kept_and_counted_once_each) {
    expect_concurrent_appends_counted_once({server_->base_url()}, 20, 10);
}

TEST_F(api_test, head_answers_the_get_headers_without_a_body) {
    ASSERT_EQ(request(verb::post, "/api/progress/h", progress_body("h", 1)).status, 200u);
    const auto r = request(verb::head, "/api/progress/h");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.header("content-length"), std::to_string(progress_body("h", 1).size()));
    EXPECT_TRUE(r.body.empty());
}

TEST_F(api_test, health_and_readiness) {
    auto r = request(verb::get, "/healthz");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, R"({"status":"ok"})");
    r = request(verb::get, "/readyz");
    EXPECT_EQ(r.status, 200u);
}

}  // namespace
}  // namespace progressd::testing

namespace progressd::testing {
namespace {

TEST_F(api_test, polling_with_if_none_match_gets_304_until_the_session_changes) {
    ASSERT_EQ(request(verb::post, "/api/progress/poll", progress_body("poll", 1)).status, 200u);
    const auto first = request(verb::get, "/api/progress/poll");
    const std::string etag = first.header("etag");
    ASSERT_FALSE(etag.empty());

    auto again = request(verb::get, "/api/progress/poll", {}, {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304u);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(again.header("etag"), etag);
    expect_cors_json(again);
    EXPECT_EQ(request(verb::get, "/api/progress/poll", {}, {{"If-None-Match", "W/" + etag}}).status,
              304u);

    ASSERT_EQ(request(verb::post, "/api/progress/poll", progress_body("poll", 2)).status, 200u);
    again = request(verb::get, "/api/progress/poll", {}, {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 200u);
    EXPECT_NE(again.header("etag"), etag);

    // The log has its own tag, which an append changes.
    const auto log = request(verb::get, "/api/progress/poll/log");
    EXPECT_EQ(
        request(verb::get, "/api/progress/poll/log", {}, {{"If-None-Match", log.header("etag")}})
            .status,
        304u);
    ASSERT_EQ(request(verb::post, "/api/progress/poll/log", log_body(1)).status, 200u);
    EXPECT_EQ(
        request(verb::get, "/api/progress/poll/log", {}, {{"If-None-Match", log.header("etag")}})
            .status,
        200u);
}

}  // namespace
}  // namespace progressd::testing
