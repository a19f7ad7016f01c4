#include "store/progress_cache.hpp"

#include <gtest/gtest.h>

namespace progressd::store {
namespace {

// The writer's side of one commit of `p`, as sqlite_store::try_transaction does it.
void commit(progress_cache& cache, const std::string& id, stored_progress p) {
    cache.begin_write(id);
    cache.write(id, std::move(p), 1000);
    cache.end_write(id);
}

TEST(progress_cache_test, a_read_that_raced_a_commit_never_brings_back_the_older_version) {
    progress_cache cache(10);
    const auto ticket = cache.take_ticket("s");  // a reader misses, and reads v1
    commit(cache, "s", {"v2", 2});
    cache.fill("s", {"v1", 1}, 1000, 0, ticket);
    EXPECT_EQ(cache.get("s", 0)->json, "v2");
    cache.fill("s", {"v3", 3}, 1000, 0, cache.take_ticket("s"));
    EXPECT_EQ(cache.get("s", 0)->json, "v3");
}

// Issue 11 item 5, the exact sequence: before, the fill of v5 came back once v6 was evicted.
TEST(progress_cache_test, an_evicted_newer_version_does_not_let_an_older_read_back_in) {
    progress_cache cache(1);
    const auto ticket = cache.take_ticket("s");  // reader misses and reads v5 from SQLite
    commit(cache, "s", {"v6", 6});               // the writer commits v6 and caches it
    commit(cache, "other", {"x", 1});            // another insert evicts it
    EXPECT_FALSE(cache.get("s", 0).has_value());
    cache.fill("s", {"v5", 5}, 1000, 0, ticket);  // the reader's late fill
    EXPECT_FALSE(cache.get("s", 0).has_value());
}

TEST(progress_cache_test, no_fill_is_kept_while_a_commit_of_the_session_is_in_flight) {
    progress_cache cache(10);
    cache.begin_write("s");
    const auto during = cache.take_ticket("s");  // may read either side of the COMMIT
    EXPECT_FALSE(during.has_value());
    cache.fill("s", {"v1", 1}, 1000, 0, during);
    EXPECT_FALSE(cache.get("s", 0).has_value());
    cache.end_write("s");  // a rolled-back commit still ends
    cache.fill("s", {"v1", 1}, 1000, 0, cache.take_ticket("s"));
    EXPECT_EQ(cache.get("s", 0)->json, "v1");
}

TEST(progress_cache_test, the_writer_always_wins_even_with_a_lower_version) {
    progress_cache cache(10);
    commit(cache, "s", {"old", 7});
    commit(cache, "s", {"recreated", 1});  // the session expired, was purged and began again
    EXPECT_EQ(cache.get("s", 0)->version, 1u);
}

TEST(progress_cache_test, expired_entries_are_absent_and_replaceable_by_reads) {
    progress_cache cache(10);
    cache.write("s", {"v5", 5}, 100);
    EXPECT_FALSE(cache.get("s", 100).has_value());
    cache.fill("s", {"v1", 1}, 500, 200, cache.take_ticket("s"));
    EXPECT_EQ(cache.get("s", 200)->json, "v1");
}

TEST(progress_cache_test, a_read_that_raced_a_deletion_never_brings_the_session_back) {
    progress_cache cache(10);
    commit(cache, "s", {"v5", 5});
    const auto ticket = cache.take_ticket("s");  // a reader begins, and finds v5 in SQLite
    cache.begin_write("s");                      // meanwhile the writer commits the deletion
    cache.erase("s");
    cache.end_write("s");
    cache.fill("s", {"v5", 5}, 1000, 0, ticket);
    EXPECT_FALSE(cache.get("s", 0).has_value());
    commit(cache, "s", {"recreated", 1});  // versions start again after a deletion
    cache.fill("s", {"v5", 5}, 1000, 0, ticket);
    EXPECT_EQ(cache.get("s", 0)->json, "recreated");
    cache.fill("s", {"v2", 2}, 1000, 0, cache.take_ticket("s"));  // a read begun after it
    EXPECT_EQ(cache.get("s", 0)->json, "v2");
}

TEST(progress_cache_test, stays_within_its_bound) {
    progress_cache cache(3);
    for (int i = 0; i < 10; ++i) commit(cache, "s" + std::to_string(i), {"x", 1});
    int present = 0;
    for (int i = 0; i < 10; ++i) present += cache.get("s" + std::to_string(i), 0).has_value();
    EXPECT_EQ(present, 3);
    EXPECT_TRUE(cache.get("s9", 0).has_value());  // the newest is never the one dropped
}

TEST(progress_cache_test, eviction_spares_the_entry_just_inserted_and_entries_being_read) {
    progress_cache cache(4);
    for (int i = 0; i < 4; ++i) commit(cache, "s" + std::to_string(i), {"x", 1});
    EXPECT_TRUE(cache.get("s0", 0).has_value());  // marks s0
    commit(cache, "n1", {"x", 1});
    commit(cache, "n2", {"x", 1});
    EXPECT_TRUE(cache.get("n2", 0).has_value());
    EXPECT_TRUE(cache.get("n1", 0).has_value());
    EXPECT_TRUE(cache.get("s0", 0).has_value());
}

}  // namespace
}  // namespace progressd::store
