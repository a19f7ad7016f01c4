#include "model/session_id.hpp"

#include <gtest/gtest.h>

namespace progressd::model {
namespace {

TEST(session_id_test, accepts_what_scripts_use_including_spaces_and_unicode) {
    EXPECT_FALSE(session_id_problem("b7e1c2d4-5f60-4a1b-9c3d-2e4f6a8b0c1d"));
    EXPECT_FALSE(session_id_problem("client laptop \xC3\xA9t\xC3\xA9"));
    EXPECT_FALSE(session_id_problem(std::string(200, 'x')));
    // 200 characters of two bytes each is still 200 characters.
    std::string accented;
    for (int i = 0; i < 200; ++i) accented += "\xC3\xA9";
    EXPECT_FALSE(session_id_problem(accented));
}

TEST(session_id_test, refuses_empty_long_slash_control_and_invalid_utf8) {
    EXPECT_EQ(*session_id_problem(""), "session ID must not be empty");
    EXPECT_EQ(*session_id_problem(std::string(201, 'x')),
              "session ID must be at most 200 characters");
    EXPECT_EQ(*session_id_problem("a/b"), "session ID must not contain '/'");
    EXPECT_EQ(*session_id_problem("a\nb"), "session ID must not contain control characters");
    EXPECT_EQ(*session_id_problem(std::string_view("a\0b", 3)),
              "session ID must not contain control characters");
    EXPECT_EQ(*session_id_problem("a\xC2\x85"), "session ID must not contain control characters");
    EXPECT_EQ(*session_id_problem("a\xFF"), "session ID must be valid UTF-8");
}

TEST(session_id_test, refuses_an_id_ending_with_a_reserved_key_suffix_and_says_why) {
    EXPECT_EQ(*session_id_problem("a:log"),
              "session ID must not end with ':log' (reserved: it would name a key of another "
              "session)");
    for (const auto suffix : reserved_session_id_suffixes) {
        const auto problem = session_id_problem("a" + std::string(suffix));
        ASSERT_TRUE(problem) << suffix;
        EXPECT_NE(problem->find("'" + std::string(suffix) + "'"), std::string::npos) << *problem;
        EXPECT_TRUE(session_id_problem(suffix)) << suffix;  // the suffix alone ends with itself
    }
    EXPECT_TRUE(session_id_problem("a:log:meta"));
    EXPECT_TRUE(session_id_problem("a:b:version"));
    EXPECT_TRUE(session_id_problem("a:timeline"));
    EXPECT_TRUE(session_id_problem("a:tombstone"));
}

TEST(session_id_test, accepts_reserved_words_anywhere_but_at_the_end) {
    for (const auto id : {"log", "a:logs", "a:log:", "a:LOG", "a:log:x", "a:meta", "key", "a:keys",
                          "a:log:meta:x", "a-version", "a:version2", "a:", ":"}) {
        EXPECT_FALSE(session_id_problem(id)) << id;
    }
}

}  // namespace
}  // namespace progressd::model
