#include "http/router.hpp"

#include <gtest/gtest.h>

namespace progressd::http {
namespace {

using boost::beast::http::verb;

route must_route(std::string_view target) {
    auto r = match_route(target);
    EXPECT_TRUE(std::holds_alternative<route>(r)) << target;
    return std::holds_alternative<route>(r) ? std::get<route>(r) : route{};
}

reply must_refuse(std::string_view target) {
    auto r = match_route(target);
    EXPECT_TRUE(std::holds_alternative<reply>(r)) << target;
    return std::holds_alternative<reply>(r) ? std::get<reply>(r) : reply{};
}

TEST(router_test, progress_and_log_routes_carry_the_decoded_session_id) {
    auto r = must_route("/api/progress/abc-123");
    EXPECT_EQ(r.target, endpoint::progress);
    EXPECT_EQ(r.session_id, "abc-123");
    r = must_route("/api/progress/a%20b%C3%A9/log");
    EXPECT_EQ(r.target, endpoint::progress_log);
    EXPECT_EQ(r.session_id, "a b\xC3\xA9");
}

TEST(router_test, query_strings_trailing_slash_and_absolute_form_are_understood) {
    EXPECT_EQ(must_route("/api/progress/x?t=1").session_id, "x");
    EXPECT_EQ(must_route("/api/progress/x/").target, endpoint::progress);
    EXPECT_EQ(must_route("http://example.test:3000/api/progress/x/log").target,
              endpoint::progress_log);
    EXPECT_EQ(must_route("/healthz").target, endpoint::healthz);
    EXPECT_EQ(must_route("/readyz").target, endpoint::readyz);
}

TEST(router_test, an_encoded_slash_stays_in_the_id_and_is_refused) {
    const auto r = must_refuse("/api/progress/a%2Fb");
    EXPECT_EQ(r.status, 400u);
    EXPECT_NE(r.body.find("must not contain '/'"), std::string::npos);
}

TEST(router_test, unknown_paths_are_404_and_bad_targets_400) {
    EXPECT_EQ(must_refuse("/nowhere").status, 404u);
    EXPECT_EQ(must_refuse("/api/progress").status, 404u);
    EXPECT_EQ(must_refuse("/api/progress/x/other").status, 404u);
    EXPECT_EQ(must_refuse("/api/progress/x/log/more/and/more").status, 404u);
    EXPECT_EQ(must_refuse("/api/progress/../progress/x").status, 404u);
    EXPECT_EQ(must_refuse("/api/progress/%zz").status, 400u);
    EXPECT_EQ(must_refuse("*").status, 400u);
    EXPECT_EQ(must_refuse("/api/progress//log").status, 400u);  // empty id
}

TEST(router_test, web_pages_and_assets_have_routes_and_live_checks_the_id) {
    EXPECT_EQ(must_route("/").target, endpoint::start_page);
    const auto live = must_route("/live/a%20b?token=t");
    EXPECT_EQ(live.target, endpoint::live_page);
    EXPECT_EQ(live.session_id, "a b");
    const auto asset = must_route("/assets/dashboard.js");
    EXPECT_EQ(asset.target, endpoint::asset);
    EXPECT_EQ(asset.asset_name, "dashboard.js");
    // An encoded path stays one name, which no asset has; a real one is more segments.
    EXPECT_EQ(must_route("/assets/..%2Fetc%2Fpasswd").asset_name, "../etc/passwd");
    EXPECT_EQ(must_refuse("/assets/../etc/passwd").status, 404u);
    EXPECT_EQ(must_refuse("/live/a%2Fb").status, 400u);
    EXPECT_EQ(must_refuse("/live").status, 404u);
    EXPECT_FALSE(is_allowed(endpoint::live_page, verb::post));
    EXPECT_TRUE(is_allowed(endpoint::asset, verb::head));
}

TEST(router_test, methods_per_endpoint) {
    EXPECT_TRUE(is_allowed(endpoint::progress, verb::post));
    EXPECT_TRUE(is_allowed(endpoint::progress_log, verb::options));
    EXPECT_TRUE(is_allowed(endpoint::progress, verb::head));
    EXPECT_TRUE(is_allowed(endpoint::progress, verb::delete_));
    EXPECT_FALSE(is_allowed(endpoint::progress_log, verb::delete_));
    EXPECT_FALSE(is_allowed(endpoint::healthz, verb::post));
    EXPECT_EQ(allowed_methods(endpoint::progress), "GET, HEAD, POST, PATCH, DELETE, OPTIONS");
    EXPECT_EQ(allowed_methods(endpoint::progress_log), "GET, HEAD, POST, OPTIONS");
    EXPECT_TRUE(is_allowed(endpoint::progress, verb::patch));
    EXPECT_FALSE(is_allowed(endpoint::progress_log, verb::patch));
}

TEST(router_test, admin_and_metrics_routes) {
    EXPECT_EQ(must_route("/api/admin/sessions?limit=5").target, endpoint::admin_sessions);
    EXPECT_EQ(must_route("/api/admin/stats").target, endpoint::admin_stats);
    EXPECT_EQ(must_route("/metrics").target, endpoint::metrics);
    EXPECT_EQ(must_refuse("/api/admin/other").status, 404u);
    EXPECT_EQ(must_refuse("/api/admin").status, 404u);
    EXPECT_FALSE(is_allowed(endpoint::admin_sessions, verb::post));
    EXPECT_FALSE(is_allowed(endpoint::metrics, verb::delete_));
    EXPECT_EQ(endpoint_name(endpoint::progress_log), "progress_log");
}

TEST(router_test, query_parameters_are_decoded) {
    EXPECT_EQ(query_parameter("/api/admin/sessions?limit=10&cursor=a%3Ab", "cursor"), "a:b");
    EXPECT_EQ(query_parameter("/api/progress/x?token=abc", "token"), "abc");
    EXPECT_EQ(query_parameter("/api/progress/x?tokens=abc", "token"), "");
    EXPECT_EQ(query_parameter("/api/progress/x", "token"), "");
    EXPECT_EQ(query_parameter("http://h/api/progress/x?token=t", "token"), "t");
}

}  // namespace
}  // namespace progressd::http
