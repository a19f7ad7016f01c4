// The listener, the I/O threads and graceful shutdown.
//
// DESIGN. One io_context is run by `threads` threads; each accepted connection gets its own
// strand, so a session's coroutine never runs on two threads at once. On SIGTERM or SIGINT the
// acceptor closes, idle keep-alive connections are closed, and requests in flight finish (their
// answer carries Connection: close). run() returns when the last connection is gone, or after
// limits.shutdown_grace, or at a second signal, whichever comes first; each of these stops the
// io_context, which abandons whatever waits on it. SIGHUP never stops the server: it calls the
// reload hook (main() reloads the TLS certificate there).
#pragma once

#include "http/limits.hpp"
#include "http/request_handler.hpp"
#include "http/session.hpp"
#include "http/tls_context.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace progressd::http {

struct listen_options {
    std::string host = "127.0.0.1";
    unsigned short port = 3000;  ///< 0 picks a free port; see local_endpoint()
    unsigned threads = 1;
    /// When set, every connection speaks TLS with the certificate it holds at accept time. Not
    /// owned: it must outlive the server.
    const tls_context* tls = nullptr;
};

/// Answers a connection over --max-connections and closes it: a plain one gets the whole 503,
/// with at most `deadline` to write it (a client that does not read cannot hold it); a TLS one is
/// just closed, as it cannot be answered before the handshake that a refusal means to avoid.
boost::asio::awaitable<void> refuse_connection(
    boost::asio::ip::tcp::socket socket, bool tls,
    std::chrono::steady_clock::duration deadline = std::chrono::seconds(1));

class server {
public:
    /// Binds and listens. Throws std::runtime_error ("cannot listen on H:P: reason").
    server(const listen_options& options, const limits& limits, request_handler& handler,
           const session_policy& policy);

    /// Connections open now (for the metrics). Thread-safe.
    std::size_t connection_count();

    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

    /// For background work that should run on the I/O threads and stop with them.
    boost::asio::io_context::executor_type get_executor() { return ioc_.get_executor(); }

    /// Serves until shutdown completes; runs the I/O threads (the calling one included).
    void run();

    /// Starts a graceful shutdown, as SIGTERM does. Thread-safe.
    void stop();

    /// Called once when a graceful shutdown begins, e.g. to end event streams, which are never
    /// idle and would otherwise hold the shutdown up until its deadline.
    void on_shutdown(std::function<void()> hook) { shutdown_hook_ = std::move(hook); }

    /// Called at each SIGHUP, on the I/O threads (keep it short). Without a hook, SIGHUP is
    /// logged and ignored.
    void on_reload(std::function<void()> hook) { reload_hook_ = std::move(hook); }

private:
    boost::asio::awaitable<void> accept_loop();
    void reserve_descriptor_states();
    void start_session(boost::asio::ip::tcp::socket socket);
    void end_session(const connection* conn);
    void return_unused_memory();
    void begin_shutdown();
    void finish_if_drained();
    void wait_for_signal();

    unsigned threads_;
    const limits& limits_;
    request_handler& handler_;
    const session_policy& policy_;
    const tls_context* tls_;
    boost::asio::io_context ioc_;
    // The acceptor, the signal wait and the shutdown deadline all live on this strand, so that
    // a signal and the accept loop never touch them from two threads at once.
    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer shutdown_deadline_;
    std::atomic<bool> stopping_{false};
    boost::asio::steady_timer trim_timer_;  // on the strand, like last_trim_
    std::chrono::steady_clock::time_point last_trim_;
    std::atomic<bool> trim_pending_{false};
    std::function<void()> shutdown_hook_;
    std::function<void()> reload_hook_;

    std::mutex connections_mutex_;
    std::unordered_map<const connection*, std::weak_ptr<connection>> connections_;
    std::size_t peak_connections_ = 0;  ///< the most open since the last trim
};

}  // namespace progressd::http
