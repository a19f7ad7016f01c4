#include "http/server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace progressd::http {
namespace {

namespace net = boost::asio;
using net::ip::tcp;

// An io_context run by `threads` threads, and a listening acceptor on a free loopback port.
class refusal_test : public ::testing::Test {
protected:
    void SetUp() override {
        acceptor_.open(tcp::v4());
        acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        for (int i = 0; i < 4; ++i) threads_.emplace_back([this] { ioc_.run(); });
    }
    void TearDown() override {
        work_.reset();
        for (auto& t : threads_) t.join();
    }

    // Connects, has the server refuse the connection with `deadline`, and returns what the
    // client read until the server closed it (or "timeout" when it did not within 5 s).
    std::string refuse_one(std::chrono::steady_clock::duration deadline) {
        net::io_context client_ioc;
        tcp::socket client(client_ioc);
        client.connect(acceptor_.local_endpoint());
        timeval five_seconds{5, 0};
        ::setsockopt(client.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds,
                     sizeof five_seconds);
        tcp::socket accepted = acceptor_.accept(net::make_strand(ioc_));
        auto executor = accepted.get_executor();
        net::co_spawn(executor, refuse_connection(std::move(accepted), false, deadline),
                      [this](const std::exception_ptr& e) {
                          if (!e) ++finished_;
                      });
        std::string answer;
        boost::system::error_code ec;
        net::read(client, net::dynamic_buffer(answer), ec);
        if (ec == net::error::would_block || ec == net::error::try_again) return "timeout";
        return answer;
    }

    net::io_context ioc_{4};
    net::executor_work_guard<net::io_context::executor_type> work_{ioc_.get_executor()};
    tcp::acceptor acceptor_{ioc_};
    std::vector<std::thread> threads_;
    std::atomic<int> finished_{0};
};

TEST_F(refusal_test, a_refused_client_gets_the_whole_503_and_then_the_end_of_the_stream) {
    const std::string answer = refuse_one(std::chrono::seconds(1));
    EXPECT_EQ(answer.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << answer;
    EXPECT_NE(answer.find(R"({"error":"Too many connections"})"), std::string::npos) << answer;
}

// The deadline expiring just as the write completes queues the timer's handler after the
// coroutine is already done with the socket. With the socket in the coroutine's frame, that
// handler closed a destroyed socket (a use after free that the asan build reports, and in a
// release build a close() of a descriptor number that another connection may hold by then).
// A deadline of zero makes the two race on four threads, a thousand times.
TEST_F(refusal_test, a_deadline_racing_the_write_never_outlives_the_socket) {
    constexpr int connections = 1000;
    for (int i = 0; i < connections; ++i) {
        const std::string answer = refuse_one(std::chrono::nanoseconds(0));
        ASSERT_NE(answer, "timeout") << i;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (finished_ < connections && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(finished_.load(), connections);
}

}  // namespace
}  // namespace progressd::http
