// One HTTP/1.1 connection, as one coroutine: read a request (with deadlines and size limits),
// hand it to the request_handler, write the reply, repeat while keep-alive allows. Over plain
// TCP, or over TLS after a handshake; the same session code serves both (session.cpp).
#pragma once

#include "http/client_address.hpp"
#include "http/cors.hpp"
#include "http/limits.hpp"
#include "http/request_handler.hpp"
#include "metrics/registry.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <memory>

namespace progressd::http {

class tls_context;

/// What every connection shares: how to answer, and how to describe what it answered.
struct session_policy {
    cors_policy cors;
    trusted_proxies proxies;
    metrics::registry* metrics = nullptr;  ///< counts every answer when set
    bool json_log = false;                 ///< access lines as JSON objects
};

struct session_context {
    request_handler& handler;
    const http::limits& limits;
    const std::atomic<bool>& stopping;  ///< set at shutdown: finish the current request, then close
    const session_policy& policy;
};

/// A connection as the server sees it: something to run, and to close at shutdown when idle.
/// The stream type behind it (plain or TLS) is the session's business; the virtual calls here
/// happen once per connection, never per read or write.
class connection : public std::enable_shared_from_this<connection> {
public:
    virtual ~connection() = default;

    /// The connection's strand: every call below, and the whole session, runs on it.
    virtual boost::asio::any_io_executor get_executor() = 0;

    /// Serves the connection until the peer closes, a deadline passes, an error occurs, or
    /// shutdown. Never throws: every failure ends the connection (and is logged when it is
    /// unexpected).
    virtual boost::asio::awaitable<void> run(session_context ctx) = 0;

    /// At shutdown: interrupts the session if it is waiting for the first byte of a next
    /// request (it then closes); a busy session sees `stopping` when its request is done.
    virtual void cancel_if_idle() = 0;
};

/// A connection for an accepted socket: plain HTTP when `tls` is null, else HTTPS with the
/// certificate `tls` holds now (kept for the connection's life, across reloads).
std::shared_ptr<connection> make_connection(boost::asio::ip::tcp::socket socket,
                                            const tls_context* tls);

}  // namespace progressd::http
