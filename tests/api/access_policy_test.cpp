#include "api/access_policy.hpp"

#include "api/gateway.hpp"
#include "api/write_keys.hpp"

#include <gtest/gtest.h>

namespace progressd::api {
namespace {

const std::string read_token = "read-token-0123456789";
const std::string write_token = "write-token-0123456789";
const std::string old_write_token = "old-write-token-0123456789";
const std::string admin_token = "admin-token-0123456789";

access_policy full_policy() {
    return access_policy({{read_token}, {old_write_token, write_token}, {admin_token}});
}

unsigned status_of(const std::optional<http::reply>& r) { return r ? r->status : 0; }

TEST(access_policy, with_no_tokens_everything_but_the_admin_api_is_open) {
    const access_policy open({});
    EXPECT_FALSE(open.check(access::read, "", ""));
    EXPECT_FALSE(open.check(access::write, "", ""));
    const auto admin = open.check(access::admin, "Bearer " + admin_token, "");
    ASSERT_TRUE(admin);
    EXPECT_EQ(admin->status, 403u);
    EXPECT_NE(admin->body.find("--admin-token"), std::string::npos);
}

TEST(access_policy, a_missing_token_is_401_with_a_bearer_challenge) {
    const auto r = full_policy().check(access::write, "", "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401u);
    EXPECT_EQ(r->body,
              R"({"error":"Unauthorized","details":[{"message":"This needs a write token: send )"
              R"(Authorization: Bearer <token>"}]})");
    ASSERT_EQ(r->headers.size(), 1u);
    EXPECT_EQ(r->headers[0].first, "WWW-Authenticate");
}

TEST(access_policy, a_wrong_token_is_403) {
    EXPECT_EQ(status_of(full_policy().check(access::write, "Bearer nope-nope-nope-nope", "")),
              403u);
    EXPECT_EQ(status_of(full_policy().check(access::write, "Bearer " + read_token, "")), 403u);
    EXPECT_EQ(status_of(full_policy().check(access::admin, "Bearer " + write_token, "")), 403u);
}

TEST(access_policy, tokens_grant_their_access_and_everything_below_it) {
    const auto policy = full_policy();
    EXPECT_FALSE(policy.check(access::read, "Bearer " + read_token, ""));
    EXPECT_FALSE(policy.check(access::read, "Bearer " + write_token, ""));
    EXPECT_FALSE(policy.check(access::write, "Bearer " + write_token, ""));
    EXPECT_FALSE(policy.check(access::write, "bearer  " + admin_token, ""));  // scheme any case
    EXPECT_FALSE(policy.check(access::admin, "Bearer " + admin_token, ""));
}

TEST(access_policy, every_listed_token_is_valid_so_tokens_can_be_rotated) {
    EXPECT_FALSE(full_policy().check(access::write, "Bearer " + old_write_token, ""));
}

TEST(access_policy, a_query_token_is_used_when_there_is_no_header) {
    const auto policy = full_policy();
    EXPECT_FALSE(policy.check(access::read, "", read_token));
    EXPECT_EQ(status_of(policy.check(access::read, "", "wrong-wrong-wrong-wrong")), 403u);
}

TEST(access_policy, read_access_is_open_when_only_write_tokens_exist) {
    const access_policy policy({{}, {write_token}, {}});
    EXPECT_FALSE(policy.check(access::read, "", ""));
    EXPECT_EQ(status_of(policy.check(access::write, "", "")), 401u);
}

TEST(access_policy, constant_time_equal_compares_whole_strings) {
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
    EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(required_access, follows_the_method_and_the_endpoint) {
    using boost::beast::http::verb;
    const auto policy = full_policy();
    EXPECT_EQ(required_access(http::endpoint::progress, verb::get, policy), access::read);
    EXPECT_EQ(required_access(http::endpoint::progress, verb::patch, policy), access::write);
    EXPECT_EQ(required_access(http::endpoint::progress, verb::delete_, policy), access::write);
    EXPECT_EQ(required_access(http::endpoint::progress_log, verb::post, policy), access::write);
    EXPECT_EQ(required_access(http::endpoint::progress_events, verb::get, policy), access::read);
    EXPECT_EQ(required_access(http::endpoint::admin_sessions, verb::get, policy), access::admin);
    EXPECT_EQ(required_access(http::endpoint::metrics, verb::get, policy), access::admin);
    EXPECT_EQ(required_access(http::endpoint::metrics, verb::get, access_policy({})), access::open);
    EXPECT_EQ(required_access(http::endpoint::live_page, verb::get, policy), access::open);
}

TEST(write_keys, keys_are_43_base64url_characters_and_differ) {
    const auto a = generate_write_key();
    const auto b = generate_write_key();
    EXPECT_EQ(a.size(), 43u);
    EXPECT_NE(a, b);
    EXPECT_EQ(
        a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
}

TEST(write_keys, the_digest_is_hex_sha256) {
    // FIPS 180-2's test vector for "abc".
    EXPECT_EQ(write_key_digest("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace progressd::api
