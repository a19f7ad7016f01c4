// What an operator sees and configures: CORS, metrics, the access log and request ids,
// connection limits — against the real binary over real sockets.
#include "e2e/e2e_support.hpp"
#include "support/prometheus_text.hpp"
#include "support/raw_http.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>

#include <chrono>

namespace progressd::testing {
namespace {

namespace json = boost::json;

const std::string admin_token = "admin-token-0123456789";

class operations_test : public e2e_test {
protected:
    exposition scrape(const cli::header_list& headers = {}) {
        const auto r = request(verb::get, "/metrics", {}, headers);
        EXPECT_EQ(r.status, 200u);
        EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
        auto parsed = parse_prometheus_text(r.body);
        if (auto* error = std::get_if<parse_error>(&parsed)) {
            ADD_FAILURE() << "not Prometheus text: " << *error << "\n" << r.body;
            return {};
        }
        return std::get<exposition>(std::move(parsed));
    }
};

//------------------------------------------------------------------------------
// CORS

TEST_F(operations_test, by_default_any_origin_may_call_the_api) {
    start();
    const auto r = request(verb::get, "/api/progress/x", {}, {{"Origin", "https://a.example"}});
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
    EXPECT_EQ(r.header("Vary"), "");
    const auto preflight =
        request(verb::options, "/api/progress/x", {},
                {{"Origin", "https://a.example"}, {"Access-Control-Request-Method", "PATCH"}});
    EXPECT_EQ(preflight.status, 200u);
    EXPECT_NE(preflight.header("Access-Control-Allow-Methods").find("PATCH"), std::string::npos);
    EXPECT_NE(preflight.header("Access-Control-Allow-Headers").find("Authorization"),
              std::string::npos);
}

TEST_F(operations_test, an_allow_list_answers_only_listed_origins) {
    start({"--cors-origin", "https://ops.example, https://other.example/"});
    const auto listed =
        request(verb::get, "/api/progress/x", {}, {{"Origin", "https://other.example"}});
    EXPECT_EQ(listed.header("Access-Control-Allow-Origin"), "https://other.example");
    EXPECT_EQ(listed.header("Vary"), "Origin");
    EXPECT_NE(listed.header("Access-Control-Expose-Headers").find("X-Write-Key"),
              std::string::npos);

    const auto stranger =
        request(verb::get, "/api/progress/x", {}, {{"Origin", "https://evil.example"}});
    EXPECT_EQ(stranger.header("Access-Control-Allow-Origin"), "");
    const auto refused =
        request(verb::options, "/api/progress/x", {},
                {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(refused.status, 403u);
    EXPECT_EQ(refused.body, R"({"error":"Origin not allowed"})");
    const auto allowed =
        request(verb::options, "/api/progress/x", {},
                {{"Origin", "https://ops.example"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(allowed.status, 200u);
    EXPECT_EQ(allowed.header("Access-Control-Allow-Origin"), "https://ops.example");
    EXPECT_EQ(allowed.header("Access-Control-Max-Age"), "600");
    // Scripts send no Origin: nothing changes for them.
    EXPECT_EQ(request(verb::post, "/api/progress/x", progress_body("x", 1)).status, 200u);
}

//------------------------------------------------------------------------------
// Metrics

TEST_F(operations_test, metrics_parse_and_their_counters_move_with_requests) {
    start({"--write-rate", "1", "--write-burst", "1"});
    const auto before = scrape();
    EXPECT_EQ(
        before.value(R"(progressd_build_info{store="sqlite",version=")" PROGRESSD_VERSION R"("})"),
        1);
    ASSERT_EQ(request(verb::post, "/api/progress/m", progress_body("m", 1)).status, 200u);
    ASSERT_EQ(request(verb::post, "/api/progress/m", progress_body("m", 2)).status, 429u);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(request(verb::get, "/api/progress/m").status, 200u);
    ASSERT_EQ(request(verb::get, "/api/progress/none").status, 404u);

    const auto after = scrape();
    EXPECT_EQ(
        after.value(R"(progressd_http_requests_total{method="GET",route="progress",status="200"})"),
        3);
    EXPECT_EQ(
        after.value(R"(progressd_http_requests_total{method="GET",route="progress",status="404"})"),
        1);
    EXPECT_EQ(after.value(
                  R"(progressd_http_requests_total{method="POST",route="progress",status="429"})"),
              1);
    EXPECT_EQ(after.value(R"(progressd_rate_limited_total{kind="write"})"), 1);
    EXPECT_EQ(after.value(R"(progressd_http_request_duration_seconds_count{route="progress"})"), 6);
    EXPECT_EQ(after.value(R"(progressd_sessions_stored)"), 1);
    // Store calls: one put, four gets (three found, one not — which is not a failure).
    EXPECT_EQ(
        after.value(
            R"(progressd_store_operation_duration_seconds_count{backend="sqlite",operation="put"})"),
        1);
    EXPECT_EQ(
        after.value(
            R"(progressd_store_operation_duration_seconds_count{backend="sqlite",operation="get"})"),
        4);
    EXPECT_FALSE(after.find(R"(progressd_store_errors_total{backend="sqlite",operation="get"})")
                     .value_or(0) > 0);
    // The first scrape is counted in the second.
    EXPECT_EQ(
        after.value(R"(progressd_http_requests_total{method="GET",route="metrics",status="200"})"),
        1);
}

// Issue 11 item 2: /readyz and /metrics are open by default, so neither may cost the store a
// trip per request: probes within a second share one ping, and a scrape reads SQLite's published
// session counter instead of queueing count() behind the writer.
TEST_F(operations_test, readyz_storms_share_one_ping_a_second_and_scrapes_skip_the_writer) {
    start({});
    ASSERT_EQ(request(verb::post, "/api/progress/m", progress_body("m", 1)).status, 200u);
    const std::string ping =
        R"(progressd_store_operation_duration_seconds_count{backend="sqlite",operation="ping"})";
    const std::string count =
        R"(progressd_store_operation_duration_seconds_count{backend="sqlite",operation="count"})";
    const auto pings_before = scrape().find(ping).value_or(0);
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 30; ++i) ASSERT_EQ(request(verb::get, "/readyz").status, 200u);
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
            .count();
    const auto after = scrape();
    EXPECT_GE(after.find(ping).value_or(0) - pings_before, 1);
    EXPECT_LE(after.find(ping).value_or(0) - pings_before, 1 + static_cast<double>(seconds));
    EXPECT_EQ(after.find(count).value_or(0), 0);  // two scrapes, no trip through the writer
    EXPECT_EQ(after.value("progressd_sessions_stored"), 1);
}

TEST_F(operations_test, metrics_need_the_admin_token_when_there_is_one) {
    start({"--admin-token", admin_token, "--write-token", "write-token-0123456789"});
    EXPECT_EQ(request(verb::get, "/metrics").status, 401u);
    EXPECT_EQ(request(verb::post, "/api/progress/x", progress_body("x", 1)).status, 401u);
    const auto m = scrape({{"Authorization", "Bearer " + admin_token}});
    EXPECT_EQ(m.value(R"(progressd_rejected_total{reason="unauthorized"})"), 2);
}

//------------------------------------------------------------------------------
// Access log and request ids

TEST_F(operations_test, a_request_id_is_passed_through_or_made_up_and_logged_as_json) {
    start({"--log-format", "json"});
    const auto given = request(verb::get, "/api/progress/x", {}, {{"X-Request-Id", "req-42"}});
    EXPECT_EQ(given.header("X-Request-Id"), "req-42");
    const auto made = request(verb::get, "/healthz", {}, {{"X-Request-Id", "bad id\x01"}});
    EXPECT_EQ(made.header("X-Request-Id").size(), 16u);
    server_->terminate();  // flushes the buffered log
    bool found = false;
    std::istringstream lines(server_->log());
    for (std::string line; std::getline(lines, line);) {
        const auto entry = json::parse(line);  // every line is one JSON object
        ASSERT_TRUE(entry.at("time").is_string()) << line;
        if (entry.as_object().contains("requestId") && entry.at("requestId") == "req-42") {
            found = true;
            EXPECT_EQ(entry.at("type"), "access");
            EXPECT_EQ(entry.at("method"), "GET");
            EXPECT_EQ(entry.at("target"), "/api/progress/x");
            EXPECT_EQ(entry.at("status"), 404);
            EXPECT_EQ(entry.at("client"), "127.0.0.1");
        }
    }
    EXPECT_TRUE(found) << server_->log();
}

//------------------------------------------------------------------------------
// Connections

TEST_F(operations_test, connections_over_the_limit_get_503_and_are_closed) {
    start({"--max-connections", "3"});
    boost::asio::io_context io;
    std::vector<boost::asio::ip::tcp::socket> held;
    for (int i = 0; i < 3; ++i) {
        held.emplace_back(io);
        held.back().connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    }
    // Give the server a moment to accept the three.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const std::string answer = raw_exchange(server_->port(), "GET /healthz HTTP/1.1\r\n\r\n");
    EXPECT_EQ(response_statuses(answer), std::vector<int>{503});
    EXPECT_NE(answer.find(R"({"error":"Too many connections"})"), std::string::npos);
    held.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto m = scrape();
    EXPECT_EQ(m.value(R"(progressd_rejected_total{reason="connections"})"), 1);
    EXPECT_EQ(request(verb::get, "/healthz").status, 200u);
}

TEST_F(operations_test, a_connection_limit_past_the_open_file_limit_is_lowered_and_said_so) {
    // Past the open-file limit accept() fails and the client waits unanswered; within it, a
    // connection over the limit gets its 503 at once.
    start({"--max-connections", "10000000"});
    const std::string log = server_->log();
    EXPECT_NE(log.find("--max-connections 10000000 is more than the open-file limit ("),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("allows: serving at most "), std::string::npos) << log;
    EXPECT_EQ(request(verb::get, "/healthz").status, 200u);
}

}  // namespace
}  // namespace progressd::testing
