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

}  // namespace
}  // namespace progressd::model
