// http_client against the real progressd, and against a scripted server for what progressd
// never does (serving under a path prefix, dropping a connection it promised to keep).
#include "cli/http_client.hpp"

#include "support/server_process.hpp"
#include "util/net.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <thread>

namespace progressd::cli {
namespace {

using bhttp::verb;
using tcp = net::ip::tcp;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// A loopback port that nothing listens on (bound, read, released).
unsigned short unused_port() {
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, {net::ip::address_v4::loopback(), 0});
    return acceptor.local_endpoint().port();
}

// Answers each connection's first request with 200 and a keep-alive promise, then closes it
// anyway, as a server whose idle timeout just struck does. Records every request target.
class one_request_server {
public:
    one_request_server() {
        net::co_spawn(ioc_, accept_loop(), net::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~one_request_server() {
        ioc_.stop();
        thread_.join();
    }
    one_request_server(const one_request_server&) = delete;
    one_request_server& operator=(const one_request_server&) = delete;

    std::string base_url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }
    std::vector<std::string> targets() {
        std::lock_guard lock(mutex_);
        return targets_;
    }

private:
    net::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec) co_return;
            beast::flat_buffer buffer;
            bhttp::request<bhttp::string_body> req;
            auto [read_ec, n] = co_await bhttp::async_read(socket, buffer, req, use_tuple);
            if (read_ec) continue;
            {
                std::lock_guard lock(mutex_);
                targets_.emplace_back(req.target());
            }
            bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
            res.keep_alive(true);
            res.body() = R"({"ok":true})";
            res.prepare_payload();
            co_await bhttp::async_write(socket, res, use_tuple);
            beast::error_code ignored;
            socket.close(ignored);
        }
    }

    net::io_context ioc_{1};
    tcp::acceptor acceptor_{ioc_, {net::ip::address_v4::loopback(), 0}};
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::string> targets_;
};

//------------------------------------------------------------------------------
// Against progressd

TEST(http_client_test, keep_alive_reuses_one_connection_across_requests) {
    testing::server_process server({"--store", "memory:"});
    http_client client(server.base_url());
    const std::string body =
        R"({"sessionId":"kept","currentStep":1,"completedSteps":[],"currentAction":"a",)"
        R"("toolStatus":{},"errors":[],"timestamp":"t","phase":"phase1","complete":false})";

    const auto posted = client.request(verb::post, "/api/progress/kept", body,
                                       {{"Content-Type", "application/json"}});
    EXPECT_EQ(posted.status, 200u);
    EXPECT_EQ(posted.body, R"({"success":true,"sessionId":"kept"})");
    for (int i = 0; i < 4; ++i) {
        const auto read = client.request(verb::get, "/api/progress/kept");
        EXPECT_EQ(read.status, 200u);
        EXPECT_EQ(read.body, body);
    }
    EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(http_client_test, an_error_status_is_a_response_not_an_exception) {
    testing::server_process server({"--store", "memory:"});
    http_client client(server.base_url());
    const auto r = client.request(verb::get, "/api/progress/nobody");
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(r.body, R"({"error":"Session not found"})");
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("x-not-there"), "");
}

TEST(http_client_test, head_reads_headers_without_waiting_for_a_body) {
    testing::server_process server({"--store", "memory:"});
    http_client client(server.base_url());
    const auto head = client.request(verb::head, "/api/progress/nobody");
    EXPECT_EQ(head.status, 404u);
    EXPECT_EQ(head.body, "");
    const auto get = client.request(verb::get, "/api/progress/nobody");
    EXPECT_EQ(get.status, 404u);
    EXPECT_EQ(client.connections_opened(), 1u);
}

//------------------------------------------------------------------------------
// Transport failures and reconnection

TEST(http_client_test, refused_connection_throws_with_the_reason) {
    const std::string port = std::to_string(unused_port());
    http_client client("http://127.0.0.1:" + port);
    try {
        client.request(verb::get, "/healthz");
        FAIL() << "expected an exception";
    } catch (const unreachable_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "nothing answers at 127.0.0.1:" + port + " (Connection refused)");
    }
}

TEST(http_client_test, host_and_port_without_a_scheme_mean_http) {
    testing::server_process server({"--store", "memory:"});
    http_client client("127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(client.request(verb::get, "/healthz").status, 200u);
    EXPECT_EQ(http_client("localhost:3000").authority(), "localhost:3000");
    EXPECT_EQ(http_client("example.com").authority(), "example.com:80");
    EXPECT_THROW(http_client("ftp://example.com"), std::invalid_argument);
}

TEST(http_client_test, a_token_goes_as_a_bearer_header_and_never_into_messages) {
    const std::string token = "client-token-0123456789";
    testing::server_process server({"--store", "memory:", "--read-token", token});
    http_client client(server.base_url());
    EXPECT_EQ(client.request(verb::get, "/api/progress/x").status, 401u);
    client.set_token(token);
    EXPECT_EQ(client.request(verb::get, "/api/progress/x").status, 404u);
    try {
        client.set_token("bad token\r\nX-Injected: 1");
        FAIL() << "expected a refusal";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find("bad token"), std::string::npos);
    }
}

TEST(http_client_test, a_server_that_never_answers_times_out) {
    // The kernel completes the handshake for a listening socket nobody accepts from, so the
    // request is sent and the read is what waits.
    net::io_context ioc;
    tcp::acceptor silent(ioc, {net::ip::address_v4::loopback(), 0});
    const std::string port = std::to_string(silent.local_endpoint().port());
    http_client client("http://127.0.0.1:" + port, std::chrono::milliseconds(100));
    try {
        client.request(verb::get, "/healthz");
        FAIL() << "expected an exception";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "no complete response from 127.0.0.1:" + port +
                                             ": The socket was closed due to a timeout");
    }
}

TEST(http_client_test, reconnects_once_when_the_server_closed_a_kept_alive_connection) {
    one_request_server server;
    http_client client(server.base_url());
    for (int i = 0; i < 3; ++i) {
        const auto r = client.request(verb::get, "/n/" + std::to_string(i));
        EXPECT_EQ(r.status, 200u);
        EXPECT_EQ(r.body, R"({"ok":true})");
    }
    EXPECT_EQ(client.connections_opened(), 3u);
    EXPECT_EQ(server.targets(), (std::vector<std::string>{"/n/0", "/n/1", "/n/2"}));
}

//------------------------------------------------------------------------------
// Base URLs and encoding

TEST(http_client_test, base_url_path_prefixes_every_target) {
    one_request_server server;
    http_client with_prefix(server.base_url() + "/prefix/");
    with_prefix.request(verb::get, "/api/progress/x");
    http_client without(server.base_url());
    without.request(verb::get, "");
    EXPECT_EQ(server.targets(), (std::vector<std::string>{"/prefix/api/progress/x", "/"}));
}

TEST(http_client_test, https_and_other_schemes_are_rejected_up_front) {
    try {
        http_client client("https://example.com");
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()), "https is not supported yet: https://example.com");
    }
    EXPECT_THROW(http_client("ftp://example.com"), std::invalid_argument);
    EXPECT_THROW(http_client("not a url"), std::invalid_argument);
    EXPECT_THROW(http_client("http://example.com/?q=1"), std::invalid_argument);
    EXPECT_THROW(http_client("http://example.com:99999"), std::invalid_argument);
}

TEST(http_client_test, authority_defaults_to_port_80) {
    EXPECT_EQ(http_client("http://example.com").authority(), "example.com:80");
    EXPECT_EQ(http_client("http://[::1]:3000/p").authority(), "[::1]:3000");
}

TEST(http_client_test, encode_path_segment_escapes_what_a_segment_cannot_carry) {
    EXPECT_EQ(encode_path_segment("a b/é"), "a%20b%2F%C3%A9");
    EXPECT_EQ(encode_path_segment("smoke-0123abcd"), "smoke-0123abcd");
    EXPECT_EQ(encode_path_segment("100%?#"), "100%25%3F%23");
}

}  // namespace
}  // namespace progressd::cli
