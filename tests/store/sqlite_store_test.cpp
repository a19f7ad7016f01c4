// What only the SQLite store promises: data survives a reopen, expired rows leave the file, a
// database of the previous schema opens, listing and counting stay cheap with many sessions, and
// an unusable path fails at startup with the path in the message.
#include "store/sqlite_store.hpp"
#include "store/sqlite_handle.hpp"
#include "support/run_sync.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <sys/stat.h>

#include <array>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

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

TEST(sqlite_store_test, a_purge_backlog_is_worked_off_in_steps_without_waiting) {
    testing::temp_dir dir;
    const std::string path = dir.path() + "/p.db";
    manual_clock clock;
    boost::asio::io_context ioc;
    sqlite_store store({path, false, std::chrono::seconds(10)}, clock);
    constexpr int expired = 2500;  // more than two purge steps
    for (int i = 0; i < expired; ++i) {
        boost::asio::co_spawn(ioc, store.put("old" + std::to_string(i), "{}", 10s),
                              boost::asio::detached);
    }
    ioc.run();
    clock.advance(11s);
    ASSERT_TRUE(run_sync(ioc, store.put("live", "{}", 100s)));  // wakes the writer
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (count_rows(path, "progress") > 1 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(count_rows(path, "progress"), 1);
}

// The schema of the previous version (user_version 1), which had no write_keys table.
constexpr const char* version_1_schema = R"sql(
CREATE TABLE progress (session_id TEXT PRIMARY KEY, data TEXT NOT NULL, version INTEGER NOT NULL,
                       updated_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX progress_by_expiry ON progress (expires_at);
CREATE TABLE error_log (session_id TEXT PRIMARY KEY, entries INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX error_log_by_expiry ON error_log (expires_at);
CREATE TABLE error_log_entry (session_id TEXT NOT NULL, seq INTEGER NOT NULL,
                              entry TEXT NOT NULL, PRIMARY KEY (session_id, seq)) WITHOUT ROWID;
PRAGMA user_version = 1;
)sql";

TEST(sqlite_store_test, a_database_of_the_previous_version_opens_with_its_sessions_counted) {
    testing::temp_dir dir;
    const std::string path = dir.path() + "/p.db";
    manual_clock clock;
    const auto ms = [&](std::chrono::seconds from_now) {
        return std::to_string(to_unix_ms(clock.now() + from_now));
    };
    {
        sqlite_connection db(path, true);
        db.execute(version_1_schema);
        db.execute("INSERT INTO progress VALUES ('a', '{\"a\":1}', 4, 0, " + ms(60s) + ")");
        db.execute("INSERT INTO progress VALUES ('gone', '{}', 1, 0, " + ms(-1s) + ")");
        db.execute("INSERT INTO error_log VALUES ('b', 1, " + ms(60s) + ")");
        db.execute("INSERT INTO error_log_entry VALUES ('b', 1, '\"e\"')");
    }
    boost::asio::io_context ioc;
    sqlite_options options{path};
    options.max_sessions = 3;   // "a", "b" and the expired "gone" are stored, two of them live
    options.max_log_bytes = 9;  // "b"'s ["e"] is 5 bytes: room for one more entry of 3
    sqlite_store store(options, clock);

    EXPECT_EQ(count_rows(path, "write_keys"), 0);
    sqlite_connection check(path, false);
    sqlite_statement user_version(check.get(), "PRAGMA user_version");
    ASSERT_TRUE(user_version.step());
    EXPECT_EQ(user_version.column_int(0), 3);

    EXPECT_EQ(run_sync(ioc, store.get("a"))->version, 4u);
    EXPECT_EQ(run_sync(ioc, store.count()), result<std::uint64_t>(1));
    EXPECT_EQ(run_sync(ioc, store.claim_write_key("a", "k1", 60s)), result<std::string>("k1"));
    EXPECT_EQ(run_sync(ioc, store.claim_write_key("a", "k2", 60s)), result<std::string>("k1"));
    EXPECT_TRUE(run_sync(ioc, store.put("c", "{}", 60s)));  // the third live session
    EXPECT_EQ(run_sync(ioc, store.put("d", "{}", 60s)).error(), store_errc::storage_full);
    EXPECT_EQ(run_sync(ioc, store.count()), result<std::uint64_t>(2));
    // The log's bytes were counted when the file was opened (issue 11 item 4).
    EXPECT_EQ(run_sync(ioc, store.append_log("b", R"("f")", 60s)), result<std::uint64_t>(2));
    EXPECT_EQ(run_sync(ioc, store.append_log("b", "1", 60s)).error(), store_errc::log_too_large);
    EXPECT_EQ(run_sync(ioc, store.get_log("b")), result<std::string>(R"(["e","f"])"));
}

// Fills a database with `sessions` live sessions in one transaction, as a busy server leaves it.
void fill_sessions(const std::string& path, int sessions, std::int64_t expires_at_ms) {
    sqlite_connection db(path, false);
    db.execute("BEGIN");
    sqlite_statement insert(db.get(), "INSERT INTO progress VALUES (?1, ?2, 1, 0, ?3)");
    const std::string json = R"({"status":"running","message":")" + std::string(400, 'm') + "\"}";
    for (int i = 0; i < sessions; ++i) {
        const std::string id = "session-" + std::to_string(1000000 + i);
        statement_scope scope(insert);
        insert.bind(1, id).bind(2, json).bind(3, expires_at_ms);
        insert.step();
    }
    db.execute("COMMIT");
}

TEST(sqlite_store_test, listing_and_counting_stay_cheap_with_100k_sessions) {
    testing::temp_dir dir;
    const std::string path = dir.path() + "/p.db";
    manual_clock clock;
    constexpr int sessions = 100000;
    { sqlite_store create({path}, clock); }
    fill_sessions(path, sessions, to_unix_ms(clock.now() + 1h));
    boost::asio::io_context ioc;
    sqlite_store store({path}, clock);
    using steady = std::chrono::steady_clock;

    auto start = steady::now();
    std::string cursor;
    int pages = 0;
    int listed = 0;
    do {
        auto page = run_sync(ioc, store.list(cursor, 100));
        ASSERT_TRUE(page.has_value());
        listed += static_cast<int>(page->sessions.size());
        cursor = page->next_cursor;
        ++pages;
    } while (!cursor.empty() && pages <= sessions);
    const auto per_page = (steady::now() - start) / pages;
    EXPECT_EQ(listed, sessions);

    constexpr int counts = 100;
    start = steady::now();
    for (int i = 0; i < counts; ++i) {
        ASSERT_EQ(run_sync(ioc, store.count()), result<std::uint64_t>(sessions));
    }
    const auto per_count = (steady::now() - start) / counts;
    std::cout << "100k sessions: list page of 100 "
              << std::chrono::duration_cast<std::chrono::microseconds>(per_page).count()
              << " us, count() "
              << std::chrono::duration_cast<std::chrono::microseconds>(per_count).count()
              << " us\n";
    // Generous bounds that only a full scan or a sort per call would break.
    EXPECT_LT(per_page, std::chrono::milliseconds(5));
    EXPECT_LT(per_count, std::chrono::milliseconds(2));
}

TEST(sqlite_store_test, a_wal_that_grew_while_a_reader_held_checkpoints_back_is_cut_back) {
    testing::temp_dir dir;
    const std::string path = dir.path() + "/p.db";
    const auto wal_bytes = [&] {
        struct stat st {};
        return ::stat((path + "-wal").c_str(), &st) == 0 ? static_cast<long>(st.st_size) : 0L;
    };
    manual_clock clock;
    boost::asio::io_context ioc;
    sqlite_store store({path}, clock);
    const std::string value = R"({"pad":")" + std::string(8000, 'x') + R"("})";
    const auto write_sessions = [&](int first, int count) {
        for (int i = first; i < first + count; ++i) {
            ASSERT_TRUE(run_sync(ioc, store.put("s" + std::to_string(i), value, 60s)));
        }
    };
    {
        // An open read transaction keeps every checkpoint from reaching the end of the WAL.
        sqlite_connection reader(path, false);
        reader.execute("BEGIN");
        sqlite_statement read(reader.get(), "SELECT count(*) FROM progress");
        ASSERT_TRUE(read.step());
        ASSERT_FALSE(read.step());
        write_sessions(0, 2000);
        EXPECT_GT(wal_bytes(), 12L << 20);
        reader.execute("COMMIT");
    }
    // The next checkpoint completes, and the write after it starts the WAL over.
    write_sessions(2000, 600);
    EXPECT_LE(wal_bytes(), (4L << 20) + (1L << 20));
    EXPECT_EQ(count_rows(path, "progress"), 2600);
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

// Issue 11 item 5: two reader threads and two writer threads over more sessions than the cache
// holds, so that entries are evicted all the time. A GET must never return less than a version
// already acknowledged to a writer or already returned by any GET.
TEST(sqlite_store_test, no_get_ever_goes_backwards_while_the_cache_evicts) {
    testing::temp_dir dir;
    manual_clock clock;
    constexpr int sessions = 32;
    sqlite_options options{dir.path() + "/p.db"};
    options.cached_sessions = 8;
    sqlite_store store(options, clock);
    std::array<std::atomic<std::uint64_t>, sessions> floor{};
    const auto raise = [&](int s, std::uint64_t v) {
        auto seen = floor[s].load();
        while (seen < v && !floor[s].compare_exchange_weak(seen, v)) {
        }
    };
    std::atomic<bool> done{false};
    std::atomic<int> backwards{0};
    std::atomic<long> reads{0};
    const auto writer = [&](int first) {
        boost::asio::io_context ioc;
        for (int i = 0; i < 3000; ++i) {
            const int s = (first + i * 7) % sessions;
            const auto v = run_sync(ioc, store.put("s" + std::to_string(s), "{}", 3600s));
            if (v) raise(s, *v);
        }
    };
    const auto reader = [&](int seed) {
        boost::asio::io_context ioc;
        for (int i = seed; !done; ++i) {
            const int s = (i * 13) % sessions;
            const auto before = floor[s].load();
            const auto r = run_sync(ioc, store.get("s" + std::to_string(s)));
            ++reads;
            if (!r) continue;  // not written yet
            if (r->version < before) ++backwards;
            raise(s, r->version);
        }
    };
    std::thread r1(reader, 0), r2(reader, 5);
    std::thread w1(writer, 0), w2(writer, 3);
    w1.join();
    w2.join();
    done = true;
    r1.join();
    r2.join();
    EXPECT_EQ(backwards.load(), 0) << "of " << reads.load() << " reads";
}

}  // namespace
}  // namespace progressd::store
