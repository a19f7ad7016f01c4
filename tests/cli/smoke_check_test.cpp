// run_smoke_check against the real progressd, and against servers that must make it fail: one
// that answers 200 {} to everything, and a port where nothing listens.
#include "cli/smoke_check.hpp"

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

#include <sstream>
#include <stdexcept>
#include <thread>

namespace progressd::cli {
namespace {

using tcp = net::ip::tcp;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct line_counts {
    int passed = 0;
    int failed = 0;
};

line_counts count_marks(const std::string& output) {
    line_counts counts;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("✓ ")) ++counts.passed;
        if (line.starts_with("✗ ")) ++counts.failed;
    }
    return counts;
}

// Answers every request with 200 and `{}`, keeping connections alive: an HTTP server that is
// not the progress API, which the check must not mistake for one.
class yes_server {
public:
    yes_server() {
        net::co_spawn(ioc_, accept_loop(), net::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~yes_server() {
        ioc_.stop();
        thread_.join();
    }
    yes_server(const yes_server&) = delete;
    yes_server& operator=(const yes_server&) = delete;

    std::string base_url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }

private:
    net::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec) co_return;
            net::co_spawn(ioc_, answer(std::move(socket)), net::detached);
        }
    }

    static net::awaitable<void> answer(tcp::socket socket) {
        beast::flat_buffer buffer;
        for (;;) {
            bhttp::request<bhttp::string_body> req;
            auto [read_ec, n] = co_await bhttp::async_read(socket, buffer, req, use_tuple);
            if (read_ec) co_return;
            bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
            res.set(bhttp::field::content_type, "application/json");
            res.keep_alive(req.keep_alive());
            res.body() = "{}";
            res.prepare_payload();
            auto [write_ec, m] = co_await bhttp::async_write(socket, res, use_tuple);
            if (write_ec || !req.keep_alive()) co_return;
        }
    }

    net::io_context ioc_{1};
    tcp::acceptor acceptor_{ioc_, {net::ip::address_v4::loopback(), 0}};
    std::thread thread_;
};

TEST(smoke_check_test, passes_against_progressd) {
    testing::server_process server({"--store", "memory:"});
    std::ostringstream out;
    EXPECT_EQ(run_smoke_check(server.base_url(), out), 0) << out.str();
    const auto counts = count_marks(out.str());
    EXPECT_EQ(counts.passed, 6) << out.str();
    EXPECT_EQ(counts.failed, 0) << out.str();
    EXPECT_NE(out.str().find("\n6 passed, 0 failed\n"), std::string::npos) << out.str();
}

TEST(smoke_check_test, fails_against_a_server_that_answers_200_to_everything) {
    yes_server server;
    std::ostringstream out;
    EXPECT_EQ(run_smoke_check(server.base_url(), out), 1) << out.str();
    const auto counts = count_marks(out.str());
    EXPECT_EQ(counts.passed, 0) << out.str();
    EXPECT_EQ(counts.failed, 6) << out.str();
    EXPECT_NE(out.str().find("sessionId is missing"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("expected status 404, got 200"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("\n0 passed, 6 failed\n"), std::string::npos) << out.str();
}

TEST(smoke_check_test, nothing_answering_is_said_once_not_once_per_step) {
    unsigned short port = 0;
    {
        net::io_context ioc;
        tcp::acceptor probe(ioc, {net::ip::address_v4::loopback(), 0});
        port = probe.local_endpoint().port();
    }
    std::ostringstream out;
    const std::string authority = "127.0.0.1:" + std::to_string(port);
    EXPECT_EQ(run_smoke_check(authority, out), 1);  // no scheme: http is meant
    EXPECT_EQ(out.str(), "checking " + authority + " with session " +
                             out.str().substr(out.str().find("smoke-"), 18) +
                             "\nnothing answers at " + authority + " (Connection refused)\n");
}

TEST(smoke_check_test, passes_against_a_server_with_tokens_and_session_keys) {
    const std::string token = "check-token-0123456789";
    testing::server_process server(
        {"--store", "memory:", "--write-token", token, "--read-token", token, "--session-keys"});
    std::ostringstream refused;
    EXPECT_EQ(run_smoke_check(server.base_url(), refused), 1);
    std::ostringstream out;
    EXPECT_EQ(run_smoke_check(server.base_url(), out, token), 0) << out.str();
    EXPECT_NE(out.str().find("6 passed, 0 failed"), std::string::npos) << out.str();
    EXPECT_EQ(out.str().find(token), std::string::npos) << out.str();
}

TEST(smoke_check_test, a_bad_base_url_throws_before_any_step) {
    std::ostringstream out;
    EXPECT_THROW(run_smoke_check("https://example.com", out), std::invalid_argument);
    EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace progressd::cli
