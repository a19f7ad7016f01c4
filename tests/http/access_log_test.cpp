#include "http/access_log.hpp"

#include "http/router.hpp"

#include <gtest/gtest.h>

#include <string>

namespace progressd::http {
namespace {

access_record record_for(std::string_view target) {
    access_record r;
    r.request_id = "id1";
    r.client = "127.0.0.1";
    r.method = "GET";
    r.target = target;
    r.status = 200;
    return r;
}

// The secret must appear in neither form of the line; the rest of the target must.
void expect_redacted(std::string_view target, std::string_view secret) {
    for (const bool json : {false, true}) {
        const std::string line = format_access(record_for(target), json);
        EXPECT_EQ(line.find(secret), std::string::npos) << line;
        EXPECT_NE(line.find("[redacted]"), std::string::npos) << line;
        EXPECT_NE(line.find("/api/progress/s"), std::string::npos) << line;
    }
}

TEST(access_log, the_token_the_server_reads_is_redacted_in_text_and_json_lines) {
    const std::string target = "/api/progress/s/events?token=read-secret-0123456789";
    ASSERT_EQ(query_parameter(target, "token"), "read-secret-0123456789");
    expect_redacted(target, "read-secret");
}

TEST(access_log, every_form_that_names_the_token_is_redacted) {
    // Repeated, percent-encoded (which query_parameter decodes to "token"), in capitals, plus-
    // and percent-encoded values, after other parameters.
    expect_redacted("/api/progress/s?a=1&token=first-secret&token=second-secret", "first-secret");
    expect_redacted("/api/progress/s?a=1&token=first-secret&token=second-secret", "second-secret");
    const std::string encoded = "/api/progress/s?%74oken=encoded-secret";
    ASSERT_EQ(query_parameter(encoded, "token"), "encoded-secret");
    expect_redacted(encoded, "encoded-secret");
    expect_redacted("/api/progress/s?%74%6F%6B%65%6E=all-escaped", "all-escaped");
    expect_redacted("/api/progress/s?TOKEN=upper-secret", "upper-secret");
    expect_redacted("/api/progress/s?token=a%2Bb%3Dsecret", "a%2Bb%3Dsecret");
    expect_redacted("/api/progress/s?writeKey=key-secret&x=1", "key-secret");
}

TEST(access_log, redaction_keeps_everything_else_of_the_target) {
    EXPECT_EQ(redact_secrets("/api/admin/sessions?limit=10&token=s&cursor=a%3Ab"),
              "/api/admin/sessions?limit=10&token=[redacted]&cursor=a%3Ab");
    EXPECT_EQ(redact_secrets("/api/progress/s"), "/api/progress/s");
    EXPECT_EQ(redact_secrets("/x?token&tokens=1&=2&"), "/x?token&tokens=1&=2&");
    EXPECT_EQ(redact_secrets("/x?%zz=1&%7=2&token="), "/x?%zz=1&%7=2&token=[redacted]");
    const std::string line = format_access(record_for("/x?limit=5"), false);
    EXPECT_EQ(line.rfind("GET /x?limit=5 200 ", 0), 0u) << line;
}

}  // namespace
}  // namespace progressd::http
