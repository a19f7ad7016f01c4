#include "model/json_text.hpp"

#include "model/js_number.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <clocale>
#include <cmath>
#include <cstdlib>
#include <fstream>

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

// A locale whose decimal point is ',' (as de_DE's is), compiled by glibc's localedef from a
// definition of its LC_NUMERIC alone into a temporary directory: no installed locale needed.
class comma_locale {
public:
    comma_locale() {
        std::ofstream(dir_.path() + "/comma.src") << "LC_NUMERIC\ndecimal_point \"<U002C>\"\n"
                                                     "thousands_sep \"<U002E>\"\ngrouping 3;3\n"
                                                     "END LC_NUMERIC\n";
        // -c: the other categories are missing on purpose, which localedef only warns about.
        const std::string command = "localedef -c -i " + dir_.path() + "/comma.src " + dir_.path() +
                                    "/comma >/dev/null 2>&1";
        (void)std::system(command.c_str());
        setenv("LOCPATH", dir_.path().c_str(), 1);
        handle_ = newlocale(LC_NUMERIC_MASK, "comma", nullptr);
        unsetenv("LOCPATH");
    }
    ~comma_locale() {
        if (handle_ != nullptr) freelocale(handle_);
    }
    comma_locale(const comma_locale&) = delete;
    comma_locale& operator=(const comma_locale&) = delete;
    locale_t handle() const { return handle_; }

private:
    testing::temp_dir dir_;
    locale_t handle_ = nullptr;
};

TEST(json_text_test, numbers_read_the_same_whatever_the_c_locale) {
    const comma_locale comma;
    ASSERT_NE(comma.handle(), nullptr) << "localedef could not build a comma-decimal locale";
    const locale_t previous = uselocale(comma.handle());
    const bool comma_in_force = std::strtod("1.5", nullptr) == 1.0;  // strtod stops at the '.'
    const auto v = must_parse("[1.5, -2.5e3, 0.1, 1e400, -1e-400]");
    std::string printed;
    append_js_number(printed, 1.5);
    uselocale(previous);

    ASSERT_TRUE(comma_in_force);
    const auto& a = v.as_array();
    EXPECT_EQ(a[0].as_double(), 1.5);
    EXPECT_EQ(a[1].as_double(), -2500.0);
    EXPECT_EQ(a[2].as_double(), 0.1);
    EXPECT_TRUE(std::isinf(a[3].as_double()));
    EXPECT_EQ(a[4].as_double(), 0.0);
    EXPECT_TRUE(std::signbit(a[4].as_double()));  // -0, as JSON.parse makes it
    EXPECT_EQ(printed, "1.5");
}

TEST(json_text_test, numbers_at_the_edges_of_the_double_range_round_as_json_parse_does) {
    const auto v = must_parse(
        "[1.7976931348623157e308, 1.7976931348623159e308, -1.7976931348623159e308, 4.9e-324, "
        "2.5e-324, 2.4e-324, -2.4e-324, 0e99999, 1" +
        std::string(400, '0') + ", 0." + std::string(400, '0') + "1]");
    const auto& a = v.as_array();
    EXPECT_EQ(a[0].as_double(), std::numeric_limits<double>::max());
    EXPECT_EQ(a[1].as_double(), std::numeric_limits<double>::infinity());
    EXPECT_EQ(a[2].as_double(), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(a[3].as_double(), std::numeric_limits<double>::denorm_min());
    EXPECT_EQ(a[4].as_double(), std::numeric_limits<double>::denorm_min());
    EXPECT_EQ(a[5].as_double(), 0.0);
    EXPECT_TRUE(std::signbit(a[6].as_double()) && a[6].as_double() == 0.0);
    EXPECT_EQ(a[7].as_double(), 0.0);
    EXPECT_EQ(a[8].as_double(), std::numeric_limits<double>::infinity());
    EXPECT_EQ(a[9].as_double(), 0.0);
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

TEST(json_text_test, values_are_stringified_as_json_stringify_writes_them) {
    std::string out;
    append_stringified(out, must_parse("{\n  \"b\": [1.0, 5e-1, -0, 1e21, 1e400, true, null],\r\n"
                                       "  \"a\": {\"x\\ny\": \"\\u00e9\\t\"}, \"c\": []\n}"));
    EXPECT_EQ(out,
              "{\"b\":[1,0.5,0,1e+21,null,true,null],\"a\":{\"x\\ny\":\"\xC3\xA9\\t\"},\"c\":[]}");
}

}  // namespace
}  // namespace progressd::model
