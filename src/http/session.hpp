// One HTTP/1.1 connection, as one coroutine: read a request (with deadlines and size limits),
// hand it to the request_handler, write the reply, repeat while keep-alive allows.
#pragma once

#include "http/limits.hpp"
#include "http/request_handler.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <memory>

namespace progressd::http {

/// A connection's state shared between its session and the server (which closes idle
/// connections at shutdown). Touched only on the connection's strand.
struct connection {
    explicit connection(boost::asio::ip::tcp::socket socket) : stream(std::move(socket)) {}

    boost::beast::tcp_stream stream;
    bool idle = false;  ///< waiting for the first byte of the next request
};

struct session_context {
    request_handler& handler;
    const http::limits& limits;
    const std::atomic<bool>& stopping;  ///< set at shutdown: finish the current request, then close
};

/// Serves `conn` until the peer closes, a deadline passes, an error occurs, or shutdown.
/// Never throws: every failure ends the connection (and is logged when it is unexpected).
boost::asio::awaitable<void> run_session(std::shared_ptr<connection> conn, session_context ctx);

}  // namespace progressd::http
