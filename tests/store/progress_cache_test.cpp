#include "store/progress_cache.hpp"

#include <gtest/gtest.h>

namespace progressd::store {
namespace {

TEST(progress_cache_test, a_read_never_brings_back_an_older_version_than_a_write_left) {
    progress_cache cache(10);
    cache.write("s", {"v2", 2}, 1000);
    cache.fill("s", {"v1", 1}, 1000, 0, cache.epoch());  // a read that raced the commit of v2
    EXPECT_EQ(cache.get("s", 0)->json, "v2");
    cache.fill("s", {"v3", 3}, 1000, 0, cache.epoch());
    EXPECT_EQ(cache.get("s", 0)->json, "v3");
}

TEST(progress_cache_test, the_writer_always_wins_even_with_a_lower_version) {
    progress_cache cache(10);
    cache.write("s", {"old", 7}, 1000);
    cache.write("s", {"recreated", 1}, 2000);  // the session expired, was purged and began again
    EXPECT_EQ(cache.get("s", 0)->version, 1u);
}

TEST(progress_cache_test, expired_entries_are_absent_and_replaceable_by_reads) {
    progress_cache cache(10);
    cache.write("s", {"v5", 5}, 100);
    EXPECT_FALSE(cache.get("s", 100).has_value());
    cache.fill("s", {"v1", 1}, 500, 200, cache.epoch());
    EXPECT_EQ(cache.get("s", 200)->json, "v1");
}

TEST(progress_cache_test, a_read_that_raced_a_deletion_never_brings_the_session_back) {
    progress_cache cache(10);
    cache.write("s", {"v5", 5}, 1000);
    const auto epoch = cache.epoch();  // a reader begins, and finds v5 in SQLite
    cache.erase("s");                  // meanwhile the writer commits the deletion
    cache.fill("s", {"v5", 5}, 1000, 0, epoch);
    EXPECT_FALSE(cache.get("s", 0).has_value());
    cache.write("s", {"recreated", 1}, 1000);  // versions start again after a deletion
    cache.fill("s", {"v5", 5}, 1000, 0, epoch);
    EXPECT_EQ(cache.get("s", 0)->json, "recreated");
    cache.fill("s", {"v2", 2}, 1000, 0, cache.epoch());  // a read begun after the deletion
    EXPECT_EQ(cache.get("s", 0)->json, "v2");
}

TEST(progress_cache_test, stays_within_its_bound) {
    progress_cache cache(3);
    for (int i = 0; i < 10; ++i) cache.write("s" + std::to_string(i), {"x", 1}, 1000);
    int present = 0;
    for (int i = 0; i < 10; ++i) present += cache.get("s" + std::to_string(i), 0).has_value();
    EXPECT_EQ(present, 3);
    EXPECT_TRUE(cache.get("s9", 0).has_value());  // the newest is never the one dropped
}

}  // namespace
}  // namespace progressd::store
