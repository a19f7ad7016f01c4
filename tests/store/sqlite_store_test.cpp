// What only the SQLite store promises: data survives a reopen, expired rows leave the file, and
// an unusable path fails at startup with the path in the message.
#include "store/sqlite_store.hpp"
#include "store/sqlite_handle.hpp"
#include "support/run_sync.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace progressd::store {
namespace {

using namespace std::chrono_literals;
using testing::run_sync;

std::int64_t count_rows(const std::string& path, const std::string& table) {
    sqlite_connection db(path, false);
    sqlite_statement count(db.get(), "SELECT count(*) FROM " + table);
    count.step();
    return count.column_int(0);
}

TEST(sqlite_store_test, data_survives_closing_and_reopening) {
    testing::temp_dir dir;
    const std::string path = dir.path() + "/p.db";
    manual_clock clock;
    boost::asio::io_context ioc;
    {
        sqlite_store store({path}, clock);
        ASSERT_TRUE(run_sync(ioc, store.put("s", R"({"kept":true})", 60s)));
        ASSERT_TRUE(run_sync(ioc, store.append_log("s", R"("e1")", 60s)));
        store.close();
    }
    sqlite_store reopened({path}, clock);
    const auto r = run_sync(ioc, reopened.get("s"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->json, R"({"kept":true})");
    EXPECT_EQ(*run_sync(ioc, reopened.get_log("s")), R"(["e1"])");
    // Appending continues the count rather than restarting it.
    EXPECT_EQ(*run_sync(ioc, reopened.append_log("s", R"("e2")", 60s)), 2u);
}

TEST(sqlite_store_test, purge_removes_expired_rows_from_the_file_and_keeps_live_ones) {
    testing::temp_dir dir;
    const std::string path = dir.path() + "/p.db";
    manual_clock clock;
    boost::asio::io_context ioc;
    sqlite_store store({path}, clock);
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(run_sync(ioc, store.put("old" + std::to_string(i), "{}", 10s)));
        ASSERT_TRUE(run_sync(ioc, store.append_log("old" + std::to_string(i), "{}", 10s)));
    }
    ASSERT_TRUE(run_sync(ioc, store.put("live", "{}", 100s)));
    clock.advance(11s);
    store.purge_now();
    EXPECT_EQ(count_rows(path, "progress"), 1);
    EXPECT_EQ(count_rows(path, "error_log"), 0);
    EXPECT_EQ(count_rows(path, "error_log_entry"), 0);
    EXPECT_TRUE(run_sync(ioc, store.get("live")).has_value());
}

TEST(sqlite_store_test, an_unwritable_directory_fails_at_startup_naming_the_path) {
    if (geteuid() == 0) {
        // root ignores permissions, so use a path under a regular file instead.
        testing::temp_dir dir;
        const std::string file = dir.path() + "/file";
        FILE* f = fopen(file.c_str(), "w");
        fclose(f);
        manual_clock clock;
        try {
            sqlite_store store({file + "/sub/p.db"}, clock);
            FAIL() << "opened a database under a regular file";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(file + "/sub"), std::string::npos) << e.what();
        }
        return;
    }
    testing::temp_dir dir;
    chmod(dir.path().c_str(), 0500);
    manual_clock clock;
    EXPECT_THROW(sqlite_store({dir.path() + "/p.db"}, clock), std::runtime_error);
}

TEST(sqlite_store_test, writes_after_close_are_refused_not_lost_silently) {
    testing::temp_dir dir;
    manual_clock clock;
    boost::asio::io_context ioc;
    sqlite_store store({dir.path() + "/p.db"}, clock);
    store.close();
    const auto r = run_sync(ioc, store.put("s", "{}", 60s));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), store_errc::unavailable);
}

}  // namespace
}  // namespace progressd::store
