#include "http/session.hpp"

#include "http/access_log.hpp"
#include "http/request_checks.hpp"
#include "http/router.hpp"
#include "http/tls_context.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <type_traits>

namespace progressd::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using bhttp::field;

// The two streams a session runs over. Everything below is a template over them, instantiated
// twice: plain HTTP pays for nothing TLS needs (no virtual stream, no extra branch per read).
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t read_chunk_bytes = 4096;

// After an error answer on a connection we are about to close, the client may still be sending
// the body we refused. Closing with unread data makes the kernel send RST, and the client may
// then never see our answer; so read and discard for a bounded time first, as nginx does.
constexpr auto linger_time = std::chrono::seconds(2);
constexpr std::size_t linger_max_bytes = std::size_t{1024} * 1024;

// Sending TLS close_notify at the end waits for the socket for no longer than this.
constexpr auto close_notify_timeout = std::chrono::seconds(1);

//------------------------------------------------------------------------------
// Replies

// The web pages run only our own files: no inline script or style, no framing, and no
// Referer that would carry the session id (or a token) to another site.
// What the answer to one request says about the request itself.
struct answer_context {
    std::string_view allow_origin;  ///< Access-Control-Allow-Origin, "" for none
    bool vary_origin = false;
    bool preflight = false;
    std::string request_id;
};

constexpr std::string_view page_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

// The headers every answer carries, event streams included: CORS for the request's origin
// (cors.hpp), the request id, and the reply's own extra headers.
template <class Message>
void set_common_headers(Message& res, const answer_context& a) {
    if (!a.allow_origin.empty()) {
        res.set(field::access_control_allow_origin, a.allow_origin);
        res.set(field::access_control_allow_methods, cors_policy::allow_methods);
        res.set(field::access_control_allow_headers, cors_policy::allow_headers);
        res.set(field::access_control_expose_headers, cors_policy::expose_headers);
        if (a.preflight) res.set(field::access_control_max_age, "600");
    }
    if (a.vary_origin) res.set(field::vary, "Origin");
    res.set("X-Request-Id", a.request_id);
}

// Fills `res`, which lives in the caller's coroutine frame.
void fill_response(bhttp::response<bhttp::string_body>& res, unsigned version, reply& r,
                   bool keep_alive, const answer_context& a) {
    res.result(static_cast<bhttp::status>(r.status));
    res.version(version);
    res.set(field::content_type, r.content_type);
    if (r.content_type.starts_with("text/html")) {
        res.set("Content-Security-Policy", page_security_policy);
        res.set("Referrer-Policy", "no-referrer");
        res.set("X-Frame-Options", "DENY");  // for browsers that predate frame-ancestors
    }
    if (r.content_type != "application/json") res.set("X-Content-Type-Options", "nosniff");
    set_common_headers(res, a);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    if (!r.allow.empty()) res.set(field::allow, r.allow);
    if (!r.etag.empty()) {
        res.set(field::etag, r.etag);
        // Dashboards poll; make every cache revalidate instead of serving a stale copy.
        res.set(field::cache_control, "no-cache");
    }
    res.keep_alive(keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
}

// Writes `r`; for HEAD, the headers only (Content-Length still tells the GET's size).
template <class Stream>
net::awaitable<bool> write_reply(Stream& stream, const limits& limits, unsigned version, bool head,
                                 reply& r, bool keep_alive, const answer_context& a) {
    bhttp::response<bhttp::string_body> res;
    fill_response(res, version, r, keep_alive, a);
    beast::get_lowest_layer(stream).expires_after(limits.write_timeout);
    if (head) {
        bhttp::response_serializer<bhttp::string_body> serializer(res);
        auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
        co_return !ec;
    }
    auto [ec, n] = co_await bhttp::async_write(stream, res, use_tuple);
    co_return !ec;
}

reply bad_request_reply(std::string_view problem) {
    std::string body = R"({"error":"Bad request","details":[{"message":)";
    model::append_json_string(body, problem);
    body += "}]}";
    return reply{400, std::move(body)};
}

// The answer to a request that could not be read, or nullopt when there is nobody to answer
// (the peer left, or a deadline passed).
std::optional<reply> reply_for_read_error(const beast::error_code& ec, const limits& limits) {
    if (ec == bhttp::error::body_limit) {
        reply r = error_reply(413, "Request body too large");
        r.body.pop_back();
        r.body += R"(,"maxBytes":)" + std::to_string(limits.max_body_bytes) + "}";
        return r;
    }
    if (ec == bhttp::error::header_limit)
        return error_reply(431, "Request header fields too large");
    const auto& parse_errors = beast::error_code(bhttp::error::bad_target).category();
    if (ec.category() == parse_errors && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message) {
        return bad_request_reply(ec.message());
    }
    return std::nullopt;
}

//------------------------------------------------------------------------------
// Closing

// Sends TLS close_notify, so that the client can tell our close from a cut connection, but does
// not wait for the client's own (RFC 8446 §6.1 allows that): an idle client would not answer.
net::awaitable<void> send_close_notify(tls_stream& stream) {
    SSL* ssl = stream.native_handle();
    // As if the client's close_notify had come: the shutdown then only writes ours.
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    beast::get_lowest_layer(stream).expires_after(close_notify_timeout);
    co_await stream.async_shutdown(use_tuple);
}

// Over TLS, close_notify first; the bytes drained after it are read below TLS, unparsed.
template <class Stream>
net::awaitable<void> linger_and_close(Stream& stream) {
    if constexpr (is_tls<Stream>) co_await send_close_notify(stream);
    auto& tcp = beast::get_lowest_layer(stream);
    beast::error_code ignored;
    tcp.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    tcp.expires_after(linger_time);
    std::array<char, read_chunk_bytes> sink{};
    std::size_t drained = 0;
    while (drained < linger_max_bytes) {
        auto [ec, n] = co_await tcp.async_read_some(net::buffer(sink), use_tuple);
        if (ec) break;
        drained += n;
    }
    tcp.socket().close(ignored);
}

//------------------------------------------------------------------------------
// Connections

template <class Stream>
class stream_connection final : public connection {
public:
    explicit stream_connection(net::ip::tcp::socket socket) requires(!is_tls<Stream>)
        : stream(std::move(socket)) {}
    stream_connection(net::ip::tcp::socket socket,
                      std::shared_ptr<net::ssl::context> context) requires is_tls<Stream>
        : certificate(std::move(context)), stream(std::move(socket), *certificate) {}

    net::any_io_executor get_executor() override { return stream.get_executor(); }
    net::awaitable<void> run(session_context ctx) override;
    void cancel_if_idle() override {
        // The session may have closed the socket meanwhile; cancel() then only fails.
        beast::error_code already_closed;
        if (idle) beast::get_lowest_layer(stream).socket().cancel(already_closed);
    }

    // The certificate this connection began with; declared first, as the stream refers to it.
    std::shared_ptr<net::ssl::context> certificate;
    Stream stream;
    bool idle = false;  ///< waiting for the first byte of the next request (or the handshake)
};

//------------------------------------------------------------------------------
// Event streams

// Writes events straight to the socket, each under the write timeout: a client that cannot take
// data for that long is dropped (its stream sees false and ends).
template <class Stream>
class socket_event_sink final : public live::event_sink {
public:
    socket_event_sink(Stream& stream, const limits& limits) : stream_(stream), limits_(limits) {}

    net::awaitable<bool> send(std::string text) override {
        beast::get_lowest_layer(stream_).expires_after(limits_.write_timeout);
        auto [ec, n] = co_await net::async_write(stream_, net::buffer(text), use_tuple);
        co_return !ec;
    }

private:
    Stream& stream_;
    const limits& limits_;
};

// Reads and drops what the client sends until it closes. Straight from the socket, as reads
// through the tcp_stream would share the deadlines of the event writes.
net::awaitable<void> read_until_closed(plain_stream& stream) {
    std::array<char, 512> ignored{};
    for (;;) {
        auto [ec, n] = co_await stream.socket().async_read_some(net::buffer(ignored), use_tuple);
        if (ec) break;
    }
}

// TLS records must go through TLS, and so through the tcp_stream: clear its read deadline before
// each read, or the deadline of the last event write would cut the stream.
net::awaitable<void> read_until_closed(tls_stream& stream) {
    std::array<char, 512> ignored{};
    for (;;) {
        beast::get_lowest_layer(stream).expires_never();
        auto [ec, n] = co_await stream.async_read_some(net::buffer(ignored), use_tuple);
        if (ec) break;
    }
}

// Reads (and ignores) whatever the client sends on an event stream, to learn at once when it
// closes the connection. Holds the connection and the sink, as it may outlive the stream.
template <class Stream>
net::awaitable<void> watch_for_disconnect(std::shared_ptr<stream_connection<Stream>> conn,
                                          std::shared_ptr<socket_event_sink<Stream>> sink) {
    co_await read_until_closed(conn->stream);
    sink->notify_disconnect();
}

// Sends the text/event-stream header, then runs the reply's stream. The body has no length and
// ends when the connection closes, which is how an event stream ends.
template <class Stream>
net::awaitable<void> run_event_stream(const std::shared_ptr<stream_connection<Stream>>& conn,
                                      const limits& limits, unsigned version, reply& r,
                                      const answer_context& a) {
    auto& stream = conn->stream;
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, version};
    res.set(field::content_type, "text/event-stream");
    res.set(field::cache_control, "no-cache");
    set_common_headers(res, a);
    res.set("X-Accel-Buffering", "no");  // nginx: pass events on at once
    res.keep_alive(false);
    bhttp::response_serializer<bhttp::empty_body> serializer(res);
    beast::get_lowest_layer(stream).expires_after(limits.write_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
    if (ec) co_return;
    auto sink = std::make_shared<socket_event_sink<Stream>>(stream, limits);
    net::co_spawn(stream.get_executor(), watch_for_disconnect(conn, sink), net::detached);
    co_await r.stream(*sink);
}

// An access line, formatted only when info lines are logged at all.
void log_access(const access_record& record, bool json) {
    if (spdlog::should_log(spdlog::level::info)) spdlog::info("{}", format_access(record, json));
}

bool expects_continue(const bhttp::request_parser<bhttp::string_body>& parser) {
    return beast::iequals(parser.get()[field::expect], "100-continue");
}

// Routes `req` and has it answered; `route_name` is set to the endpoint's name for the metrics
// ("unmatched" when no route took it).
net::awaitable<reply> dispatch(request_handler& handler, const request& req, const peer& from,
                               std::string_view& route_name) {
    route_name = "unmatched";
    auto routed = match_route(req.target());
    if (auto* error = std::get_if<reply>(&routed)) co_return std::move(*error);
    const auto& r = std::get<route>(routed);
    route_name = endpoint_name(r.target);
    if (!is_allowed(r.target, req.method()))
        co_return method_not_allowed_reply(allowed_methods(r.target));
    reply answer = co_await handler.handle(r, req, from);
    const bool read = req.method() == bhttp::verb::get || req.method() == bhttp::verb::head;
    const bool cacheable = r.target == endpoint::progress || r.target == endpoint::progress_log ||
                           r.target == endpoint::start_page || r.target == endpoint::live_page ||
                           r.target == endpoint::asset;
    if (read && cacheable) {
        make_conditional(answer, req[field::if_none_match]);
    }
    co_return answer;
}

//------------------------------------------------------------------------------
// Sessions

// The TLS handshake, under the header timeout: a client that connects and says nothing is
// dropped then. Counts as idle, so shutdown closes a connection that has not sent a request yet.
net::awaitable<bool> handshake(stream_connection<tls_stream>& conn, session_context ctx) {
    if (ctx.stopping) co_return false;
    beast::get_lowest_layer(conn.stream).expires_after(ctx.limits.header_timeout);
    conn.idle = true;
    auto [ec] = co_await conn.stream.async_handshake(net::ssl::stream_base::server, use_tuple);
    conn.idle = false;
    if (ec && ec != net::error::operation_aborted && ec != beast::error::timeout) {
        spdlog::info("- - TLS handshake failed: {}", ec.message());
    }
    co_return !ec;
}

// GCC 12 takes Asio's coroutine frame allocator for a mismatched new/delete pair (GCC bug 109224).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
template <class Stream>
net::awaitable<void> run_session(std::shared_ptr<stream_connection<Stream>> conn,
                                 session_context ctx) {
    auto& stream = conn->stream;
    auto& tcp = beast::get_lowest_layer(stream);
    beast::error_code no_peer;  // the peer may already be gone; it then has no address
    const auto remote = tcp.socket().remote_endpoint(no_peer);
    const std::string peer_address = no_peer ? std::string() : remote.address().to_string();
    const session_policy& policy = ctx.policy;
    if constexpr (is_tls<Stream>) {
        if (!co_await handshake(*conn, ctx)) {
            beast::error_code ignored;
            tcp.socket().close(ignored);
            co_return;
        }
    }
    beast::flat_buffer buffer;
    for (;;) {
        // Idle: wait for the first byte of the next request under the keep-alive timeout, so
        // the header timeout below starts only when a request does.
        if (buffer.size() == 0) {
            conn->idle = true;
            if (ctx.stopping) break;
            tcp.expires_after(ctx.limits.idle_timeout);
            auto [ec, n] =
                co_await stream.async_read_some(buffer.prepare(read_chunk_bytes), use_tuple);
            conn->idle = false;
            if (ec) break;  // closed by the peer, idle timeout, or shutdown
            buffer.commit(n);
        }

        // A fresh parser per request, so limits and state never leak between requests.
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(ctx.limits.max_header_bytes));
        parser.body_limit(ctx.limits.max_body_bytes);
        tcp.expires_after(ctx.limits.header_timeout);
        auto [header_ec, header_bytes] =
            co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
        beast::error_code read_ec = header_ec;
        if (!read_ec && has_unframed_transfer_encoding(parser)) {
            read_ec = bhttp::error::bad_transfer_encoding;
        }
        const std::string_view host_error =
            read_ec ? std::string_view() : host_problem(parser.get());
        if (!read_ec && host_error.empty() && !parser.is_done()) {
            if (expects_continue(parser)) {
                bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_,
                                                         parser.get().version()};
                tcp.expires_after(ctx.limits.write_timeout);
                auto [ec, n] = co_await bhttp::async_write(stream, go_on, use_tuple);
                if (ec) break;
            }
            tcp.expires_after(ctx.limits.body_timeout);
            auto [body_ec, body_bytes] =
                co_await bhttp::async_read(stream, buffer, parser, use_tuple);
            read_ec = body_ec;
        }
        // The answer to a request that is refused before it is routed, and why.
        std::optional<reply> refusal;
        std::string refusal_reason;
        if (read_ec) {
            refusal = reply_for_read_error(read_ec, ctx.limits);
            refusal_reason = read_ec.message();
        } else if (!host_error.empty()) {
            refusal = bad_request_reply(host_error);
            refusal_reason = host_error;
        }
        if (read_ec || refusal) {
            if (auto& r = refusal) {
                answer_context a;
                a.request_id = request_id_for({});
                a.allow_origin = policy.cors.allow_origin({});
                log_access({a.request_id,
                            peer_address,
                            "-",
                            "-",
                            r->status,
                            r->body.size(),
                            {},
                            refusal_reason},
                           policy.json_log);
                if (policy.metrics)
                    policy.metrics->observe_request("unmatched", "-", r->status, {});
                if (co_await write_reply(stream, ctx.limits, 11, false, *r, false, a)) {
                    co_await linger_and_close(stream);
                }
            }
            break;
        }

        const auto started = std::chrono::steady_clock::now();
        const request& req = parser.get();
        const peer from{client_address(peer_address, req["X-Forwarded-For"], req[field::forwarded],
                                       policy.proxies)};
        answer_context a;
        a.request_id = request_id_for(req["X-Request-Id"]);
        const std::string_view origin = req[field::origin];
        a.allow_origin = policy.cors.allow_origin(origin);
        a.vary_origin = policy.cors.varies();
        a.preflight = req.method() == bhttp::verb::options && !origin.empty();
        std::string_view route_name = "unmatched";
        // Not a conditional expression with co_await in one arm: GCC 12 then moves the result
        // bitwise out of a temporary, leaving a short string pointing into the dead temporary.
        reply r;
        if (a.preflight && a.allow_origin.empty()) {
            r = error_reply(403, "Origin not allowed");
            if (policy.metrics) policy.metrics->count_rejected(metrics::rejection::origin);
        } else {
            r = co_await dispatch(ctx.handler, req, from, route_name);
        }
        if (r.stream) {
            log_access({a.request_id,
                        from.address,
                        req.method_string(),
                        req.target(),
                        r.status,
                        0,
                        {},
                        "stream opened"},
                       policy.json_log);
            if (policy.metrics) {
                policy.metrics->observe_request(route_name, req.method_string(), r.status,
                                                std::chrono::steady_clock::now() - started);
            }
            co_await run_event_stream(conn, ctx.limits, req.version(), r, a);
            break;
        }
        const bool keep_alive = req.keep_alive() && !r.close_connection && !ctx.stopping;
        const std::size_t body_bytes = r.body.size();
        const unsigned status = r.status;
        const bool written = co_await write_reply(
            stream, ctx.limits, req.version(), req.method() == bhttp::verb::head, r, keep_alive, a);
        const auto elapsed = std::chrono::steady_clock::now() - started;
        if (policy.metrics) {
            policy.metrics->observe_request(route_name, req.method_string(), status, elapsed);
        }
        log_access({a.request_id,
                    from.address,
                    req.method_string(),
                    req.target(),
                    status,
                    body_bytes,
                    std::chrono::duration_cast<std::chrono::microseconds>(elapsed),
                    {}},
                   policy.json_log);
        if (!written || !keep_alive) break;
    }
    if constexpr (is_tls<Stream>) {
        // Not after a deadline or a lingering close, which have closed the socket already.
        if (tcp.socket().is_open()) co_await send_close_notify(stream);
    }
    beast::error_code ignored;
    tcp.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    tcp.socket().close(ignored);
}
#pragma GCC diagnostic pop

template <class Stream>
net::awaitable<void> stream_connection<Stream>::run(session_context ctx) {
    // Not a coroutine itself: the session's frame holds the connection, not this call's caller.
    return run_session(std::static_pointer_cast<stream_connection>(shared_from_this()), ctx);
}

}  // namespace

std::shared_ptr<connection> make_connection(net::ip::tcp::socket socket, const tls_context* tls) {
    if (tls == nullptr) return std::make_shared<stream_connection<plain_stream>>(std::move(socket));
    return std::make_shared<stream_connection<tls_stream>>(std::move(socket), tls->current());
}

}  // namespace progressd::http
