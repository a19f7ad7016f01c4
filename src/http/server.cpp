#include "http/server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <malloc.h>

#include <algorithm>
#include <csignal>
#include <thread>
#include <vector>

namespace progressd::http {
namespace {
namespace net = boost::asio;
using net::ip::tcp;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

tcp::endpoint resolve_listen_endpoint(const listen_options& options) {
    boost::system::error_code ec;
    const auto address =
        net::ip::make_address(options.host == "localhost" ? "127.0.0.1" : options.host, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + options.host +
                                 ": not an IP address (use e.g. 127.0.0.1 or 0.0.0.0)");
    }
    return {address, options.port};
}
}  // namespace

server::server(const listen_options& options, const limits& limits, request_handler& handler,
               const session_policy& policy)
    : threads_(options.threads == 0 ? 1 : options.threads),
      limits_(limits),
      handler_(handler),
      policy_(policy),
      tls_(options.tls),
      ioc_(static_cast<int>(threads_)),
      strand_(net::make_strand(ioc_)),
      acceptor_(strand_),
      signals_(strand_, SIGINT, SIGTERM, SIGHUP),
      shutdown_deadline_(strand_),
      trim_timer_(strand_) {
    const auto endpoint = resolve_listen_endpoint(options);
    reserve_descriptor_states();  // before listening, so that no client waits for it
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + options.host + ":" +
                                 std::to_string(options.port) + ": " + ec.message());
    }
}

void server::run() {
    net::co_spawn(strand_, accept_loop(), net::detached);
    wait_for_signal();
    std::vector<std::thread> extra;
    for (unsigned i = 1; i < threads_; ++i) extra.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& t : extra) t.join();
}

void server::stop() {
    net::post(strand_, [this] { begin_shutdown(); });
}

void server::wait_for_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (signal == SIGHUP) {
            if (reload_hook_) {
                reload_hook_();
            } else {
                spdlog::info("signal {}: nothing to reload", signal);
            }
            wait_for_signal();
            return;
        }
        if (stopping_) {
            spdlog::warn("second signal {}: stopping now", signal);
            ioc_.stop();
            return;
        }
        spdlog::info("signal {}: shutting down", signal);
        begin_shutdown();
        wait_for_signal();
    });
}

net::awaitable<void> server::accept_loop() {
    std::chrono::steady_clock::time_point last_warning;
    std::size_t failures_since_warning = 0;
    while (!stopping_) {
        auto [ec, socket] = co_await acceptor_.async_accept(net::make_strand(ioc_), use_tuple);
        if (ec == net::error::operation_aborted) co_return;
        if (ec) {
            // EMFILE and friends: keep serving the connections we have and try again shortly,
            // saying so once every ten seconds rather than at each retry.
            ++failures_since_warning;
            const auto now = std::chrono::steady_clock::now();
            if (now - last_warning >= std::chrono::seconds(10)) {
                spdlog::warn("accept failed: {} ({} times since the last warning)", ec.message(),
                             failures_since_warning);
                last_warning = now;
                failures_since_warning = 0;
            }
            net::steady_timer pause(strand_, std::chrono::milliseconds(50));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        start_session(std::move(socket));
    }
}

// Asio's reactor keeps a small state object (about 190 bytes) for every descriptor it has watched
// and reuses it for the next one, never freeing it. Allocated one by one as connections arrive,
// those objects land in the holes between the connections' buffers, and once the connections
// close each pins a page or two: after 19,000 connections RSS stayed 68 MiB above its baseline
// with 4 MiB in use. Allocating one for every connection the server may hold now, side by side in
// a heap without holes, leaves whole pages behind a closed connection, which malloc_trim returns
// (nginx sets its connection structures aside at startup for the same reason). The cost: 190
// bytes and a socket()/close() pair per connection, about 10 ms per thousand. UDP sockets, since
// an unconnected TCP socket reports a hang-up to epoll at once.
void server::reserve_descriptor_states() {
    std::vector<net::ip::udp::socket> sockets;
    sockets.reserve(limits_.max_connections);
    for (std::size_t i = 0; i < limits_.max_connections; ++i) {
        net::ip::udp::socket socket(ioc_);
        boost::system::error_code ec;
        socket.open(net::ip::udp::v4(), ec);
        if (ec) break;  // out of descriptors: what was reserved still helps
        sockets.push_back(std::move(socket));
    }
}

std::size_t server::connection_count() {
    const std::lock_guard lock(connections_mutex_);
    return connections_.size();
}

namespace {

// The whole answer to a connection over --max-connections, written before the request is read.
constexpr std::string_view too_many_connections =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 32\r\n"
    "Retry-After: 1\r\n"
    "Connection: close\r\n"
    "\r\n"
    R"({"error":"Too many connections"})";

}  // namespace

// The deadline's handler can outlive this coroutine's frame: when the timer expires just as the
// write completes, its handler is already queued when deadline.cancel() runs, and it runs after
// the frame (and a socket that lived in it) is gone. So the socket is owned jointly by the frame
// and the handler, and lives until the last of them is done with it.
net::awaitable<void> refuse_connection(tcp::socket socket, bool tls,
                                       std::chrono::steady_clock::duration deadline) {
    const auto shared = std::make_shared<tcp::socket>(std::move(socket));
    boost::system::error_code ignored;
    if (!tls) {
        net::steady_timer timer(shared->get_executor(), deadline);
        timer.async_wait([shared](const boost::system::error_code& ec) {
            boost::system::error_code already_closed;
            if (!ec) shared->close(already_closed);
        });
        co_await net::async_write(*shared, net::buffer(too_many_connections), use_tuple);
        timer.cancel();
        shared->shutdown(tcp::socket::shutdown_send, ignored);
    }
    shared->close(ignored);
}

void server::start_session(tcp::socket socket) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    {
        const std::lock_guard lock(connections_mutex_);
        if (connections_.size() >= limits_.max_connections) {
            if (policy_.metrics) policy_.metrics->count_rejected(metrics::rejection::connections);
            auto executor = socket.get_executor();
            net::co_spawn(executor, refuse_connection(std::move(socket), tls_ != nullptr),
                          net::detached);
            return;
        }
    }
    auto conn = make_connection(std::move(socket), tls_);
    {
        const std::lock_guard lock(connections_mutex_);
        connections_.emplace(conn.get(), conn);
        peak_connections_ = std::max(peak_connections_, connections_.size());
    }
    const connection* key = conn.get();
    net::co_spawn(conn->get_executor(),
                  conn->run(session_context{handler_, limits_, stopping_, policy_}),
                  [this, key](const std::exception_ptr& e) {
                      if (e) {
                          try {
                              std::rethrow_exception(e);
                          } catch (const std::exception& ex) {
                              spdlog::error("connection ended by an exception: {}", ex.what());
                          }
                      }
                      end_session(key);
                  });
}

void server::end_session(const connection* conn) {
    bool shrunk = false;
    {
        const std::lock_guard lock(connections_mutex_);
        connections_.erase(conn);
        shrunk = connections_.empty() ||
                 (peak_connections_ >= 1000 && connections_.size() * 4 <= peak_connections_);
        if (shrunk) peak_connections_ = connections_.size();
    }
    if (shrunk) return_unused_memory();
    if (stopping_) finish_if_drained();
}

// Thousands of connections that closed leave their buffers and frames in malloc's free lists,
// and glibc keeps them: RSS would stay at its peak after a wave of idle connections. When the
// last connection is gone, or a thousand or more have fallen to a quarter (event streams may
// keep the count from ever reaching zero), hand that memory back: soon, but at most once a
// second, since a trim walks the heap and clients without keep-alive can bring the count to
// zero many times a second. Requests that come while one is pending join it.
void server::return_unused_memory() {
    if (trim_pending_.exchange(true)) return;
    net::post(strand_, [this] {
        trim_timer_.expires_at(last_trim_ + std::chrono::seconds(1));
        trim_timer_.async_wait([this](const boost::system::error_code& ec) {
            trim_pending_ = false;
            if (ec) return;
            last_trim_ = std::chrono::steady_clock::now();
            malloc_trim(0);
        });
    });
}

void server::begin_shutdown() {
    if (stopping_.exchange(true)) return;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (shutdown_hook_) shutdown_hook_();
    shutdown_deadline_.expires_after(limits_.shutdown_grace);
    shutdown_deadline_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        spdlog::warn("shutdown grace period over: closing remaining connections");
        ioc_.stop();
    });
    {
        const std::lock_guard lock(connections_mutex_);
        for (const auto& [key, weak] : connections_) {
            if (auto conn = weak.lock()) {
                // On the connection's strand: only an idle connection is interrupted; a busy one
                // sees `stopping_` when its request is done.
                net::post(conn->get_executor(), [conn] { conn->cancel_if_idle(); });
            }
        }
    }
    finish_if_drained();
}

void server::finish_if_drained() {
    {
        const std::lock_guard lock(connections_mutex_);
        if (!connections_.empty()) return;
    }
    // The last connection is gone and the acceptor is closed, so no request is in flight.
    // Stopping the io_context also drops the re-armed signal wait and the deadline timer;
    // cancelling those from here instead would race with the signal handler re-arming its
    // wait on another thread (signal_set is not thread-safe), and a lost cancel hangs run().
    ioc_.stop();
}

}  // namespace progressd::http
