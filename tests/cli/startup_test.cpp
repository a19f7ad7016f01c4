// What progressd says and checks at startup: no password in the store description, no silent
// mkdir outside ./data, and a connection-limit warning only for a limit the user asked for.
#include "cli/startup.hpp"

#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace progressd::cli {
namespace {

using kind = store::store_spec::kind;

TEST(startup_test, a_redis_password_is_never_described) {
    EXPECT_EQ(describe_store({kind::redis, "redis://app:s3cret@db.example:6379/2", {}, {}}),
              "redis://app:***@db.example:6379/2");
    EXPECT_EQ(describe_store({kind::redis, "rediss://:s3cret@db:6380", {}, {}}),
              "rediss://:***@db:6380");
    EXPECT_EQ(describe_store({kind::redis, "redis://127.0.0.1:6379", {}, {}}),
              "redis://127.0.0.1:6379");
    EXPECT_EQ(describe_store({kind::kv_rest, "https://kv.example", "t0ken-secret", "ro"}),
              "kv-rest:https://kv.example");
    EXPECT_EQ(describe_store({kind::sqlite, "./data/progress.db", {}, {}}),
              "sqlite:./data/progress.db");
}

TEST(startup_test, a_missing_sqlite_directory_is_refused_naming_it) {
    const testing::temp_dir dir;
    const std::string missing = dir.path() + "/no/such";
    try {
        check_sqlite_directory({kind::sqlite, missing + "/x.db", {}, {}});
        FAIL() << "expected a refusal";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "cannot open database " + missing +
                                             "/x.db: the directory " + missing +
                                             " does not exist (create it first)");
    }
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/no"));
}

TEST(startup_test, the_default_data_directory_and_existing_ones_pass) {
    const testing::temp_dir dir;
    EXPECT_NO_THROW(check_sqlite_directory({kind::sqlite, dir.path() + "/x.db", {}, {}}));
    EXPECT_NO_THROW(check_sqlite_directory({kind::sqlite, "./data/progress.db", {}, {}}));
    EXPECT_NO_THROW(check_sqlite_directory({kind::sqlite, "data/other.db", {}, {}}));
    EXPECT_NO_THROW(check_sqlite_directory({kind::sqlite, "progress.db", {}, {}}));
    EXPECT_NO_THROW(check_sqlite_directory({kind::memory, "", {}, {}}));
}

TEST(startup_test, the_connection_limit_warns_only_when_the_user_asked_for_more) {
    EXPECT_EQ(connection_limit_warning(19872, 25000, false, 20000), std::nullopt);
    EXPECT_EQ(connection_limit_warning(25000, 25000, true, 1048576), std::nullopt);
    const auto warning = connection_limit_warning(19872, 25000, true, 20000);
    ASSERT_TRUE(warning);
    EXPECT_EQ(*warning,
              "--max-connections 25000 is more than the open-file limit (20000) allows: serving "
              "at most 19872; raise the limit (ulimit -n, LimitNOFILE=) to serve more");
}

}  // namespace
}  // namespace progressd::cli
