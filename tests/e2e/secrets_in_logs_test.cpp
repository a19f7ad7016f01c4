// No secret in a log line (issue 11 §3): a server run on a password-protected Redis, with tokens
// in the query strings of reads and event streams, a Redis outage, a failed login and bad
// options, and then a grep of everything the process wrote to stderr.
#include "e2e/e2e_support.hpp"
#include "support/redis_server.hpp"
#include "support/sse_client.hpp"

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace progressd::testing {
namespace {

using namespace std::chrono_literals;

const std::string app_password = "app-pw-secret-0123";
const std::string default_password = "default-pw-secret-0123";
const std::string wrong_password = "wrong-pw-secret-0123";
const std::string read_token = "read-token-secret-0123";
const std::string write_token = "write-token-secret-0123";

void expect_no_secret(const std::string& log) {
    for (const auto& secret :
         {app_password, default_password, wrong_password, read_token, write_token}) {
        EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in:\n" << log;
    }
}

// Reads, with the token in every form the server takes, and an event stream with it.
void read_with_query_tokens(server_process& server) {
    cli::http_client client(server.base_url());
    const cli::header_list auth = {{"Authorization", "Bearer " + write_token}};
    ASSERT_EQ(client.request(verb::post, "/api/progress/s", progress_body("s", 1), auth).status,
              200u);
    for (const std::string& query :
         {"?token=" + read_token, "?a=1&token=" + read_token + "&token=" + read_token,
          "?%74oken=" + read_token, "?TOKEN=" + read_token}) {
        const auto r = client.request(verb::get, "/api/progress/s" + query);
        EXPECT_TRUE(r.status == 200 || r.status == 401) << query << " " << r.status;
    }
    EXPECT_EQ(client.request(verb::get, "/api/progress/s?token=" + read_token).status, 200u);
    sse_client stream(server.port(), "/api/progress/s/events?token=" + read_token);
    EXPECT_EQ(stream.status(), 200);
    EXPECT_TRUE(stream.next().has_value());
}

std::string log_of_a_start(const std::vector<std::string>& args) {
    try {
        server_process server(args);
        server.terminate();
        return server.log();
    } catch (const std::runtime_error& e) {
        return e.what();  // carries the log of a server that did not start
    }
}

TEST(secrets_in_logs, neither_the_redis_password_nor_a_token_reaches_stderr) {
    redis_server redis;
    const std::string port = std::to_string(redis.port());
    redis.cli({"ACL", "SETUSER", "app", "on", ">" + app_password, "~*", "&*", "+@all"});
    redis.cli({"CONFIG", "SET", "requirepass", default_password});
    const std::string app_url = "redis://app:" + app_password + "@127.0.0.1:" + port;
    const std::vector<std::string> tokens = {
        "--read-token",      read_token, "--write-token",     write_token,
        "--connect-timeout", "300",      "--command-timeout", "300"};
    std::string everything;

    for (const char* format : {"text", "json"}) {
        std::vector<std::string> args = {"--store", app_url, "--log-format", format};
        args.insert(args.end(), tokens.begin(), tokens.end());
        server_process server(args);
        read_with_query_tokens(server);
        server.terminate();
        const std::string log = server.log();
        ASSERT_NE(log.find("redis://app:***@127.0.0.1:" + port), std::string::npos) << log;
        ASSERT_NE(log.find("token=[redacted]"), std::string::npos) << log;
        everything += log;
    }

    // REDIS_URL instead of --store, and then an outage: readiness failures and reconnects log.
    ::setenv("REDIS_URL", ("redis://default:" + default_password + "@127.0.0.1:" + port).c_str(),
             1);
    {
        server_process server(tokens);
        ::unsetenv("REDIS_URL");
        read_with_query_tokens(server);
        redis.stop();
        cli::http_client client(server.base_url());
        EXPECT_EQ(client.request(verb::get, "/readyz").status, 503u);
        EXPECT_EQ(client.request(verb::get, "/api/progress/s?token=" + read_token).status, 503u);
        // Back without the password and the user: logins now fail, and say so.
        redis.start();
        std::this_thread::sleep_for(600ms);
        client.request(verb::get, "/readyz");
        client.request(verb::get, "/api/progress/s?token=" + read_token);
        server.terminate();
        everything += server.log();
    }
    ::unsetenv("REDIS_URL");

    // A wrong password at startup, and a store URL with a typo in its scheme.
    redis.cli({"CONFIG", "SET", "requirepass", default_password});
    everything +=
        log_of_a_start({"--store", "redis://default:" + wrong_password + "@127.0.0.1:" + port});
    everything +=
        run_binary({"--store", "redsi://app:" + app_password + "@127.0.0.1:" + port}).output;
    ASSERT_NE(everything.find("redsi://app:***@"), std::string::npos) << everything;
    expect_no_secret(everything);
}

}  // namespace
}  // namespace progressd::testing
