// The web pages and their assets against the real binary: content types, the security headers
// of HTML answers, no inline code in the pages, and that only the compiled-in files are served.
#include "e2e/e2e_support.hpp"
#include "web/assets.hpp"

#include <map>

namespace progressd::testing {
namespace {

constexpr std::string_view page_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

// The type each kind of file must be served as.
std::string expected_type(std::string_view name) {
    static const std::map<std::string, std::string, std::less<>> types = {
        {"html", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"svg", "image/svg+xml"},
    };
    const auto found = types.find(name.substr(name.rfind('.') + 1));
    return found == types.end() ? "(no type expected for " + std::string(name) + ")"
                                : found->second;
}

// What the CSP forbids must not be in the page either: every <script> loads a file, and there
// is no <style> element, no style="" and no on…="" handler attribute.
void expect_no_inline_code(const std::string& html) {
    for (auto at = html.find("<script"); at != std::string::npos;
         at = html.find("<script", at + 1)) {
        const std::string tag = html.substr(at, html.find('>', at) - at);
        EXPECT_NE(tag.find(" src=\"/assets/"), std::string::npos) << "inline script: " << tag;
    }
    EXPECT_EQ(html.find("<style"), std::string::npos);
    EXPECT_EQ(html.find(" style="), std::string::npos);
    EXPECT_EQ(html.find(" onclick="), std::string::npos);
    EXPECT_EQ(html.find(" onload="), std::string::npos);
}

void expect_page(const cli::http_response& r) {
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.header("content-security-policy"), page_security_policy);
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.header("referrer-policy"), "no-referrer");
    EXPECT_NE(r.body.find("<!doctype html>"), std::string::npos);
    expect_no_inline_code(r.body);
}

class web_test : public e2e_test {
protected:
    void SetUp() override { start({"--store", "memory:"}); }
};

TEST_F(web_test, the_start_page_and_the_dashboard_are_html_with_the_security_headers) {
    auto r = request(verb::get, "/");
    expect_page(r);
    EXPECT_NE(r.body.find("/assets/start.js"), std::string::npos);
    for (const char* target : {"/live/x", "/live/a%20b%C3%A9?token=t", "/live/s1/"}) {
        SCOPED_TRACE(target);
        r = request(verb::get, target);
        expect_page(r);
        EXPECT_NE(r.body.find("/assets/dashboard.js"), std::string::npos);
    }
}

TEST_F(web_test, every_asset_is_served_with_its_content_type_and_exact_bytes) {
    const auto assets = web::all_assets();
    ASSERT_GE(assets.size(), 5u);
    for (const auto& a : assets) {
        SCOPED_TRACE(std::string(a.path));
        const auto r = request(verb::get, "/assets/" + std::string(a.path));
        EXPECT_EQ(r.status, 200u);
        EXPECT_EQ(r.header("content-type"), expected_type(a.path));
        EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
        EXPECT_FALSE(r.header("etag").empty());
        EXPECT_EQ(r.body, a.body);
    }
    for (const char* name : {"dashboard.html", "dashboard.js", "dashboard.css", "start.html"}) {
        EXPECT_NE(web::find_asset(name), nullptr) << name;
    }
}

TEST_F(web_test, every_asset_a_page_names_is_compiled_in) {
    for (const auto& a : web::all_assets()) {
        const std::string body(a.body);
        for (auto at = body.find("/assets/"); at != std::string::npos;
             at = body.find("/assets/", at + 1)) {
            const auto begin = at + 8;
            const auto name = body.substr(begin, body.find_first_of("\"'", begin) - begin);
            EXPECT_NE(web::find_asset(name), nullptr) << a.path << " names " << name;
        }
    }
}

TEST_F(web_test, only_compiled_in_names_are_served_never_paths) {
    for (const char* target :
         {"/assets/../etc/passwd", "/assets/..%2Fetc%2Fpasswd", "/assets/%2e%2e%2fetc%2fpasswd",
          "/assets/nope.js", "/assets/", "/assets/dashboard.js/x", "/assets/DASHBOARD.JS",
          "/assets//etc/passwd", "/live", "/web/dashboard.js"}) {
        SCOPED_TRACE(target);
        const auto r = request(verb::get, target);
        EXPECT_EQ(r.status, 404u);
        EXPECT_EQ(r.header("content-type"), "application/json");
        EXPECT_EQ(r.body, R"({"error":"Not found"})");
    }
}

TEST_F(web_test, a_bad_session_id_in_a_live_url_is_400) {
    for (const char* target : {"/live/a%2Fb", "/live/%01", "/live//"}) {
        SCOPED_TRACE(target);
        const auto r = request(verb::get, target);
        EXPECT_EQ(r.status, 400u);
        EXPECT_NE(r.body.find("Invalid session ID"), std::string::npos);
    }
}

TEST_F(web_test, pages_and_assets_revalidate_with_their_etag_and_answer_head) {
    for (const char* target : {"/assets/dashboard.js", "/live/x"}) {
        SCOPED_TRACE(target);
        const auto first = request(verb::get, target);
        const auto etag = first.header("etag");
        ASSERT_FALSE(etag.empty());
        EXPECT_EQ(first.header("cache-control"), "no-cache");
        const auto again = request(verb::get, target, {}, {{"If-None-Match", etag}});
        EXPECT_EQ(again.status, 304u);
        EXPECT_TRUE(again.body.empty());
        const auto head = request(verb::head, target);
        EXPECT_EQ(head.status, 200u);
        EXPECT_EQ(head.header("content-length"), std::to_string(first.body.size()));
    }
}

TEST_F(web_test, pages_take_only_get_and_head) {
    const auto r = request(verb::post, "/live/x", "{}");
    EXPECT_EQ(r.status, 405u);
    EXPECT_EQ(r.header("allow"), "GET, HEAD");
}

}  // namespace
}  // namespace progressd::testing
