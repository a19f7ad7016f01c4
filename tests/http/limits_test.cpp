#include "http/limits.hpp"

#include <gtest/gtest.h>

namespace progressd::http {
namespace {

TEST(connections_within, a_limit_the_descriptors_allow_is_kept) {
    EXPECT_EQ(connections_within(25000, 1048576), 25000u);
    EXPECT_EQ(connections_within(1000, 1000 + descriptors_reserved), 1000u);
}

TEST(connections_within, a_limit_past_the_open_file_limit_leaves_the_reserve_free) {
    EXPECT_EQ(connections_within(25000, 20000), 20000 - descriptors_reserved);
    EXPECT_EQ(connections_within(1001, 1000 + descriptors_reserved), 1000u);
}

TEST(connections_within, a_tiny_open_file_limit_still_allows_one_connection) {
    EXPECT_EQ(connections_within(25000, descriptors_reserved), 1u);
    EXPECT_EQ(connections_within(25000, 0), 1u);
}

}  // namespace
}  // namespace progressd::http
