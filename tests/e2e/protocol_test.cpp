// HTTP/1.1 at the byte level against the real binary: keep-alive, pipelining, 100-continue,
// limits, malformed and ambiguous framing. After each hostile request the server must still
// answer, and nothing may have been stored.
#include "e2e/e2e_support.hpp"
#include "support/raw_http.hpp"

namespace progressd::testing {
namespace {

class protocol_test : public e2e_test {
protected:
    void SetUp() override { start(); }

    std::string exchange(std::string_view bytes) { return raw_exchange(server_->port(), bytes); }

    void expect_still_serving_and_nothing_stored() {
        EXPECT_EQ(request(verb::get, "/healthz").status, 200u);
        EXPECT_EQ(request(verb::get, "/api/progress/s").status, 404u);
    }

    static std::string post(std::string_view headers, std::string_view body) {
        return "POST /api/progress/s HTTP/1.1\r\nHost: t\r\n" + std::string(headers) + "\r\n" +
               std::string(body);
    }
};

TEST_F(protocol_test, pipelined_requests_are_answered_in_order) {
    const std::string one = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
    const std::string two = "GET /api/progress/none HTTP/1.1\r\nHost: t\r\n\r\n";
    const std::string three = "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    EXPECT_EQ(response_statuses(exchange(one + two + three)), (std::vector<int>{200, 404, 404}));
}

TEST_F(protocol_test, expect_100_continue_gets_an_interim_response) {
    const std::string body = progress_body("s", 1);
    const auto reply =
        exchange(post("Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\nConnection: close\r\n",
                      body));
    EXPECT_EQ(response_statuses(reply), (std::vector<int>{100, 200}));
}

TEST_F(protocol_test, http_1_0_is_answered_and_closed) {
    const auto reply = exchange("GET /healthz HTTP/1.0\r\n\r\n");
    EXPECT_EQ(response_statuses(reply), std::vector<int>{200});
    EXPECT_NE(reply.find(R"({"status":"ok"})"), std::string::npos);
}

TEST_F(protocol_test, chunked_bodies_are_accepted) {
    const std::string body = progress_body("s", 7);
    std::string chunked;
    for (std::size_t at = 0; at < body.size(); at += 100) {
        const auto piece = body.substr(at, 100);
        char size[16];
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        chunked += size + piece + "\r\n";
    }
    chunked += "0\r\n\r\n";
    const auto reply =
        exchange(post("Transfer-Encoding: chunked\r\nConnection: close\r\n", chunked));
    EXPECT_EQ(response_statuses(reply), std::vector<int>{200});
    EXPECT_EQ(request(verb::get, "/api/progress/s").body, body);
}

TEST_F(protocol_test, ambiguous_or_broken_framing_is_refused_with_400) {
    const std::string body = progress_body("s", 1);
    const auto length = std::to_string(body.size());
    static constexpr char nul_in_header[] = "GET /healthz HTTP/1.1\r\nX: a\0b\r\n\r\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"both Content-Length and chunked",
         post("Content-Length: " + length + "\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n")},
        {"two different Content-Lengths",
         post("Content-Length: " + length + "\r\nContent-Length: 5\r\n", body)},
        {"a chunk size that is not hex", post("Transfer-Encoding: chunked\r\n", "zz\r\n" + body)},
        {"a bad request line", "GET /healthz HTTP/9\r\n\r\n"},
        {"a header without a colon", "GET /healthz HTTP/1.1\r\nHost t\r\n\r\n"},
        {"a NUL in a header", std::string(nul_in_header, sizeof nul_in_header - 1)},
    };
    for (const auto& [name, bytes] : cases) {
        SCOPED_TRACE(name);
        const auto statuses = response_statuses(exchange(bytes));
        ASSERT_EQ(statuses.size(), 1u);
        EXPECT_EQ(statuses[0], 400);
    }
    expect_still_serving_and_nothing_stored();
}

TEST_F(protocol_test, a_truncated_body_stores_nothing) {
    const std::string body = progress_body("s", 1);
    exchange(post("Content-Length: " + std::to_string(body.size() + 50) + "\r\n", body));
    expect_still_serving_and_nothing_stored();
}

TEST_F(protocol_test, oversized_headers_are_431_and_an_oversized_declared_body_413) {
    const auto long_url =
        exchange("GET /api/progress/" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(response_statuses(long_url), std::vector<int>{431});
    const auto big = exchange(post("Content-Length: 10000000\r\n", "{"));
    EXPECT_EQ(response_statuses(big), std::vector<int>{413});
    expect_still_serving_and_nothing_stored();
}

TEST_F(protocol_test, dot_segments_and_absolute_form_targets) {
    EXPECT_EQ(
        response_statuses(exchange("GET /api/progress/../../etc/passwd HTTP/1.1\r\nHost: t\r\n"
                                   "Connection: close\r\n\r\n")),
        std::vector<int>{404});
    EXPECT_EQ(response_statuses(exchange("GET http://t/healthz HTTP/1.1\r\nHost: t\r\n"
                                         "Connection: close\r\n\r\n")),
              std::vector<int>{200});
}

}  // namespace
}  // namespace progressd::testing
