#include "model/js_number.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace progressd::model {
namespace {

std::string js(double value) {
    std::string out;
    append_js_number(out, value);
    return out;
}

TEST(js_number_test, integers_print_without_a_fraction) {
    EXPECT_EQ(js(3), "3");
    EXPECT_EQ(js(3.0), "3");
    EXPECT_EQ(js(-42), "-42");
    EXPECT_EQ(js(0), "0");
    EXPECT_EQ(js(-0.0), "0");
}

TEST(js_number_test, fractions_print_their_shortest_round_trip_digits) {
    EXPECT_EQ(js(1.5), "1.5");
    EXPECT_EQ(js(0.1), "0.1");
    EXPECT_EQ(js(0.1 + 0.2), "0.30000000000000004");
    EXPECT_EQ(js(123.456), "123.456");
}

TEST(js_number_test, exponent_form_starts_at_1e21_and_below_1e_minus_6) {
    EXPECT_EQ(js(1e20), "100000000000000000000");
    EXPECT_EQ(js(1e21), "1e+21");
    EXPECT_EQ(js(1.5e21), "1.5e+21");
    EXPECT_EQ(js(0.000001), "0.000001");
    EXPECT_EQ(js(1e-7), "1e-7");
    EXPECT_EQ(js(1.5e-7), "1.5e-7");
    EXPECT_EQ(js(123456789012345680000.0), "123456789012345680000");
}

TEST(js_number_test, extremes) {
    EXPECT_EQ(js(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
    EXPECT_EQ(js(5e-324), "5e-324");
    EXPECT_EQ(js(-2.5e-8), "-2.5e-8");
}

}  // namespace
}  // namespace progressd::model
