#include "cli/options.hpp"
#include "cli/startup.hpp"

#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace progressd::cli {
namespace {

class options_test : public ::testing::Test {
protected:
    parse_outcome parse(const std::vector<std::string>& args) {
        const env_lookup lookup = [this](const std::string& name) -> std::optional<std::string> {
            const auto it = environment_.find(name);
            if (it == environment_.end()) return std::nullopt;
            return it->second;
        };
        return parse_options(args, lookup, dir_.path(), 4);
    }
    void write_file(const std::string& name, const std::string& text) {
        std::ofstream(dir_.path() + "/" + name) << text;
    }

    testing::temp_dir dir_;
    std::map<std::string, std::string> environment_;
};

TEST_F(options_test, defaults_match_the_documentation) {
    const auto outcome = parse({});
    ASSERT_TRUE(outcome.config);
    EXPECT_EQ(outcome.config->host, "127.0.0.1");
    EXPECT_EQ(outcome.config->port, 3000);
    EXPECT_EQ(outcome.config->store.backend, store::store_spec::kind::sqlite);
    EXPECT_EQ(outcome.config->store.location, "./data/progress.db");
    EXPECT_EQ(outcome.config->ttl, std::chrono::seconds(3600));
    EXPECT_EQ(outcome.config->threads, 4u);
    EXPECT_EQ(outcome.config->max_body_bytes, 65536u);
    EXPECT_FALSE(outcome.config->fsync);
}

TEST_F(options_test, flags_win_over_environment_which_wins_over_env_files) {
    write_file(".env", "PORT=1111\nHOST=10.0.0.1\nPROGRESSD_TTL=5\nPROGRESSD_THREADS=3\n");
    write_file(".env.local", "PORT=2222\nHOST=10.0.0.2\nPROGRESSD_TTL=6\n");
    environment_["PORT"] = "3333";
    environment_["HOST"] = "10.0.0.3";
    const auto outcome = parse({"--port", "4444"});
    ASSERT_TRUE(outcome.config) << outcome.message;
    EXPECT_EQ(outcome.config->port, 4444);                    // flag
    EXPECT_EQ(outcome.config->host, "10.0.0.3");              // environment
    EXPECT_EQ(outcome.config->ttl, std::chrono::seconds(6));  // .env.local over .env
    EXPECT_EQ(outcome.config->threads, 3u);                   // .env alone
}

TEST_F(options_test, env_file_flag_replaces_the_default_files) {
    write_file(".env.local", "PORT=2222\n");
    write_file("custom.env", "PORT=5555\nPROGRESSD_STORE=memory:\n");
    const auto outcome = parse({"--env-file", "custom.env"});
    ASSERT_TRUE(outcome.config) << outcome.message;
    EXPECT_EQ(outcome.config->port, 5555);
    EXPECT_EQ(outcome.config->store.backend, store::store_spec::kind::memory);

    const auto missing = parse({"--env-file", "nope.env"});
    EXPECT_FALSE(missing.config);
    EXPECT_NE(missing.message.find("cannot read env file"), std::string::npos);
}

TEST_F(options_test, invalid_values_fail_with_one_line_that_says_what_to_fix) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--port", "70000"}, "invalid port '70000' from --port: use a number from 0 to 65535"},
        {{"--port", "3k"}, "invalid port '3k'"},
        {{"--store", "postgres://x"}, "unknown store 'postgres://x'"},
        {{"--store", "sqlite:"}, "needs a file path"},
        {{"--ttl", "0"}, "invalid TTL '0'"},
        {{"--threads", "-1"}, "invalid thread count '-1'"},
        {{"--max-body", "12"}, "invalid body limit '12'"},
        {{"--log-level", "loud"}, "invalid log level 'loud'"},
        {{"--durability", "always"}, "invalid durability 'always'"},
        {{"--bogus"}, "--bogus"},
    };
    for (const auto& [args, expected] : cases) {
        const auto outcome = parse(args);
        EXPECT_FALSE(outcome.config) << args[0];
        EXPECT_EQ(outcome.exit_code, 2) << args[0];
        EXPECT_NE(outcome.message.find(expected), std::string::npos) << outcome.message;
        EXPECT_EQ(outcome.message.find('\n'), std::string::npos) << outcome.message;
    }
}

TEST_F(options_test, a_bad_environment_value_names_the_variable) {
    environment_["PORT"] = "eighty";
    const auto outcome = parse({});
    EXPECT_FALSE(outcome.config);
    EXPECT_NE(outcome.message.find("environment variable PORT"), std::string::npos);
}

TEST_F(options_test, help_and_version_exit_zero) {
    const auto help = parse({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.message.find("--store"), std::string::npos);
    const auto version = parse({"--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.message, std::string("progressd ") + PROGRESSD_VERSION);
}

TEST_F(options_test, help_reads_like_a_man_page) {
    const std::string help = parse({"--help"}).message;
    // Value names say what to give, never CLI11's generic TEXT.
    EXPECT_EQ(help.find("TEXT"), std::string::npos) << help;
    for (const char* shown : {"--port PORT", "--store SPEC", "--ttl SECONDS", "--threads N",
                              "--write-token TOKEN", "--session-keys [1|0]", "--heartbeat MS"}) {
        EXPECT_NE(help.find(shown), std::string::npos) << shown << "\n" << help;
    }
    // Defaults and variables, and options grouped by what they are about, in this order.
    EXPECT_NE(help.find("default 3000 (env PORT)"), std::string::npos) << help;
    std::size_t at = 0;
    for (const char* group :
         {"Listening:", "Store:", "Limits:", "Security:", "Live updates:", "Logging:"}) {
        const auto found = help.find(group, at);
        ASSERT_NE(found, std::string::npos) << group << "\n" << help;
        at = found;
    }
    EXPECT_NE(help.find(".env.local"), std::string::npos) << help;
}

TEST_F(options_test, max_connections_given_tells_a_request_from_the_default) {
    EXPECT_FALSE(parse({}).config->max_connections_given);
    EXPECT_TRUE(parse({"--max-connections", "30000"}).config->max_connections_given);
    environment_["PROGRESSD_MAX_CONNECTIONS"] = "30000";
    EXPECT_TRUE(parse({}).config->max_connections_given);
}

}  // namespace
}  // namespace progressd::cli

namespace progressd::cli {
namespace {

class security_options_test : public options_test {};

TEST_F(security_options_test, defaults_are_open_with_sensible_limits) {
    const auto outcome = parse({});
    ASSERT_TRUE(outcome.config);
    const auto& c = *outcome.config;
    EXPECT_TRUE(c.write_tokens.empty());
    EXPECT_TRUE(c.read_tokens.empty());
    EXPECT_FALSE(c.session_keys);
    // Sized for a workshop behind one router (issue 17); one session gets much less.
    EXPECT_EQ(c.write_rate, 200);
    EXPECT_EQ(c.write_burst, 1000);
    EXPECT_EQ(c.read_rate, 200);
    EXPECT_EQ(c.read_burst, 1000);
    EXPECT_EQ(c.session_write_rate, 10);
    EXPECT_EQ(c.session_write_burst, 30);
    EXPECT_EQ(c.new_session_rate, 2);
    EXPECT_EQ(c.new_session_burst, 200);
    EXPECT_EQ(c.cors_origins, std::vector<std::string>{"*"});
    EXPECT_EQ(c.max_log_entries, 1000u);
    EXPECT_EQ(c.max_tools, 200u);
    EXPECT_EQ(c.max_connections, 25000u);
    EXPECT_EQ(c.idle_timeout, std::chrono::milliseconds(60000));
    EXPECT_FALSE(c.json_log);
}

TEST_F(security_options_test, token_lists_come_from_flags_or_the_environment) {
    environment_["PROGRESSD_READ_TOKEN"] = "read-token-0123456789";
    const auto outcome = parse({"--write-token", "new-token-0123456789, old-token-0123456789",
                                "--session-keys", "--log-format", "json"});
    ASSERT_TRUE(outcome.config) << outcome.message;
    EXPECT_EQ(outcome.config->write_tokens,
              (std::vector<std::string>{"new-token-0123456789", "old-token-0123456789"}));
    EXPECT_EQ(outcome.config->read_tokens, std::vector<std::string>{"read-token-0123456789"});
    EXPECT_TRUE(outcome.config->session_keys);
    EXPECT_TRUE(outcome.config->json_log);
}

TEST_F(security_options_test, weak_or_unusable_values_are_refused_with_the_reason) {
    EXPECT_NE(parse({"--write-token", "short"}).message.find("shorter than 16"), std::string::npos);
    EXPECT_NE(parse({"--read-token", "has space in it 0123"}).message.find("only letters"),
              std::string::npos);
    EXPECT_NE(parse({"--trust-proxy", "10.0.0.0/99"}).message.find("invalid proxy network"),
              std::string::npos);
    EXPECT_NE(parse({"--write-rate", "-1"}).message.find("invalid rate"), std::string::npos);
    EXPECT_NE(parse({"--write-rate", "5", "--write-burst", "0"}).message.find("burst"),
              std::string::npos);
    EXPECT_NE(parse({"--session-write-rate", "x"}).message.find("invalid rate"), std::string::npos);
    EXPECT_NE(parse({"--new-session-rate", "1", "--new-session-burst", "0"}).message.find("burst"),
              std::string::npos);
    EXPECT_NE(parse({"--tls-cert", "c.pem"}).message.find("go together"), std::string::npos);
    EXPECT_NE(parse({"--log-format", "xml"}).message.find("text or json"), std::string::npos);
    EXPECT_NE(parse({"--idle-timeout", "5"}).message.find("invalid timeout"), std::string::npos);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--write-token", "short"}, {"--max-tools", "0"}, {"--cors-origin", " , "}}) {
        const auto outcome = parse(args);
        EXPECT_FALSE(outcome.config) << args[0];
        EXPECT_EQ(outcome.exit_code, 2) << args[0];
    }
}

TEST_F(security_options_test, proxies_accept_addresses_and_cidrs_of_both_families) {
    const auto outcome =
        parse({"--trust-proxy", "127.0.0.1,10.0.0.0/8,::1,fd00::/8", "--idle-timeout", "1500"});
    ASSERT_TRUE(outcome.config) << outcome.message;
    EXPECT_EQ(outcome.config->trusted_proxies.size(), 4u);
    EXPECT_EQ(outcome.config->idle_timeout, std::chrono::milliseconds(1500));
}

TEST_F(security_options_test, the_store_is_shown_without_its_password_and_still_used_with_it) {
    const auto flag = parse({"--store", "redis://app:pw-secret-1@127.0.0.1:6379/2"});
    ASSERT_TRUE(flag.config) << flag.message;
    EXPECT_EQ(cli::describe_store(flag.config->store), "redis://app:***@127.0.0.1:6379/2");
    EXPECT_EQ(flag.config->store.location, "redis://app:pw-secret-1@127.0.0.1:6379/2");

    environment_["REDIS_URL"] = "redis://default:pw-secret-2@10.0.0.5:6380";
    const auto env = parse({});
    ASSERT_TRUE(env.config) << env.message;
    EXPECT_EQ(cli::describe_store(env.config->store), "redis://default:***@10.0.0.5:6380");

    // Errors that quote the value quote it without the password.
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"--store", "redsi://app:pw-secret-3@host:6379"}}) {
        const auto outcome = parse(args);
        ASSERT_FALSE(outcome.config);
        EXPECT_EQ(outcome.message.find("pw-secret"), std::string::npos) << outcome.message;
        EXPECT_NE(outcome.message.find("redsi://app:***@host:6379"), std::string::npos)
            << outcome.message;
    }
    environment_.clear();
    environment_["PROGRESSD_STORE"] = "kv-rest:";
    environment_["KV_REST_API_URL"] = "redis://u:pw-secret-4@host:6379";
    environment_["KV_REST_API_TOKEN"] = "t";
    const auto rest = parse({});
    ASSERT_FALSE(rest.config);
    EXPECT_EQ(rest.message.find("pw-secret"), std::string::npos) << rest.message;
}

TEST(redact_password, hides_the_password_of_any_userinfo_and_nothing_else) {
    using store::redact_password;
    EXPECT_EQ(redact_password("redis://:only-pw@h:1"), "redis://:***@h:1");
    EXPECT_EQ(redact_password("redis://secret@h:1/0"), "redis://***@h:1/0");
    EXPECT_EQ(redact_password("redis://u:p@ss@w@h:1"), "redis://u:***@h:1");
    EXPECT_EQ(redact_password("redis://h:6379"), "redis://h:6379");
    EXPECT_EQ(redact_password("https://x.upstash.io/path?q=a@b"),
              "https://x.upstash.io/path?q=a@b");
    EXPECT_EQ(redact_password("sqlite:./data/p@x.db"), "sqlite:./data/p@x.db");
}

}  // namespace
}  // namespace progressd::cli
