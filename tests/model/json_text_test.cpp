#include "model/json_text.hpp"

#include <gtest/gtest.h>

namespace progressd::model {
namespace {

json_syntax_error must_fail(std::string_view text) {
    auto parsed = parse_json(text);
    EXPECT_TRUE(std::holds_alternative<json_syntax_error>(parsed)) << text;
    return std::holds_alternative<json_syntax_error>(parsed) ? std::get<json_syntax_error>(parsed)
                                                             : json_syntax_error{};
}

boost::json::value must_parse(std::string_view text) {
    auto parsed = parse_json(text);
    EXPECT_TRUE(std::holds_alternative<boost::json::value>(parsed)) << text;
    return std::holds_alternative<boost::json::value>(parsed) ? std::get<boost::json::value>(parsed)
                                                              : boost::json::value{};
}

TEST(json_text_test, truncated_input_reports_where_it_ended) {
    const auto e = must_fail(R"({"a":)");
    EXPECT_EQ(e.message, "Unexpected end of JSON input");
    EXPECT_EQ(e.position, 5u);
}

TEST(json_text_test, empty_input_and_trailing_garbage_are_syntax_errors) {
    EXPECT_EQ(must_fail("").message, "Unexpected end of JSON input");
    const auto e = must_fail(R"({"a":1} x)");
    EXPECT_EQ(e.message, "Unexpected data after the JSON value");
    EXPECT_EQ(e.position, 8u);
}

TEST(json_text_test, surrounding_whitespace_is_fine) {
    EXPECT_TRUE(must_parse(" \n{\"a\":1}\r\n ").is_object());
}

TEST(json_text_test, nesting_beyond_the_limit_is_refused_without_recursion) {
    const std::string deep(100000, '[');
    EXPECT_NE(must_fail(deep).message.find("deeper than"), std::string::npos);
    std::string ok(max_json_depth, '[');
    ok += std::string(max_json_depth, ']');
    must_parse(ok);
}

TEST(json_text_test, every_number_is_a_correctly_rounded_double) {
    const auto v =
        must_parse(R"([3, -0, 0.1, 12345678901234567890, 1e999, 1e-999, 9007199254740993])");
    const auto& a = v.as_array();
    for (const auto& n : a) EXPECT_TRUE(n.is_double());
    EXPECT_EQ(a[0].as_double(), 3.0);
    EXPECT_TRUE(std::signbit(a[1].as_double()));
    EXPECT_EQ(a[2].as_double(), 0.1);
    EXPECT_EQ(a[3].as_double(), 12345678901234567890.0);
    EXPECT_TRUE(std::isinf(a[4].as_double()));
    EXPECT_EQ(a[5].as_double(), 0.0);
    EXPECT_EQ(a[6].as_double(), 9007199254740992.0);  // ties to even, as JSON.parse rounds it
}

TEST(json_text_test, last_duplicate_key_wins_in_the_first_ones_place) {
    const auto v = must_parse(R"({"a":1,"b":2,"a":3})");
    const auto& o = v.as_object();
    ASSERT_EQ(o.size(), 2u);
    EXPECT_EQ(o.begin()->key(), "a");
    EXPECT_EQ(o.begin()->value().as_double(), 3.0);
}

TEST(json_text_test, invalid_utf8_inside_a_string_is_a_syntax_error) { must_fail("\"\xC3\x28\""); }

TEST(json_text_test, strings_are_escaped_like_json_stringify) {
    std::string out;
    append_json_string(out, "q\" b\\ \b\f\n\r\t \x01 \x1f \x7f / \xC3\xA9");
    EXPECT_EQ(out, "\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001 \\u001f \x7f / \xC3\xA9\"");
    out.clear();
    append_json_string(out, std::string_view("a\0b", 3));
    EXPECT_EQ(out, "\"a\\u0000b\"");
}

}  // namespace
}  // namespace progressd::model
