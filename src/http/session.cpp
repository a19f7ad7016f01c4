#include "http/session.hpp"

#include "http/router.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>

namespace progressd::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using bhttp::field;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t read_chunk_bytes = 4096;

// After an error answer on a connection we are about to close, the client may still be sending
// the body we refused. Closing with unread data makes the kernel send RST, and the client may
// then never see our answer; so read and discard for a bounded time first, as nginx does.
constexpr auto linger_time = std::chrono::seconds(2);
constexpr std::size_t linger_max_bytes = 1024 * 1024;

//------------------------------------------------------------------------------
// Replies

// The web pages run only our own files: no inline script or style, no framing, and no
// Referer that would carry the session id (or a token) to another site.
constexpr std::string_view page_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

bhttp::response<bhttp::string_body> make_response(unsigned version, reply& r, bool keep_alive) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
    res.set(field::content_type, r.content_type);
    if (r.content_type.starts_with("text/html")) {
        res.set("Content-Security-Policy", page_security_policy);
        res.set("Referrer-Policy", "no-referrer");
    }
    if (r.content_type != "application/json") res.set("X-Content-Type-Options", "nosniff");
    res.set(field::access_control_allow_origin, "*");
    res.set(field::access_control_allow_methods, "GET, POST, PATCH, OPTIONS");
    res.set(field::access_control_allow_headers, "Content-Type");
    if (!r.allow.empty()) res.set(field::allow, r.allow);
    if (!r.etag.empty()) {
        res.set(field::etag, r.etag);
        // Dashboards poll; make every cache revalidate instead of serving a stale copy.
        res.set(field::cache_control, "no-cache");
    }
    res.keep_alive(keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
    return res;
}

// Writes `r`; for HEAD, the headers only (Content-Length still tells the GET's size).
net::awaitable<bool> write_reply(beast::tcp_stream& stream, const limits& limits, unsigned version,
                                 bool head, reply& r, bool keep_alive) {
    auto res = make_response(version, r, keep_alive);
    stream.expires_after(limits.write_timeout);
    if (head) {
        bhttp::response_serializer<bhttp::string_body> serializer(res);
        auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
        co_return !ec;
    }
    auto [ec, n] = co_await bhttp::async_write(stream, res, use_tuple);
    co_return !ec;
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
        std::string body = R"({"error":"Bad request","details":[{"message":)";
        model::append_json_string(body, ec.message());
        body += "}]}";
        return reply{400, std::move(body)};
    }
    return std::nullopt;
}

net::awaitable<void> linger_and_close(beast::tcp_stream& stream) {
    beast::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    stream.expires_after(linger_time);
    std::array<char, read_chunk_bytes> sink{};
    std::size_t drained = 0;
    while (drained < linger_max_bytes) {
        auto [ec, n] = co_await stream.async_read_some(net::buffer(sink), use_tuple);
        if (ec) break;
        drained += n;
    }
    stream.socket().close(ignored);
}

//------------------------------------------------------------------------------
// Event streams

// Writes events straight to the socket, each under the write timeout: a client that cannot take
// data for that long is dropped (its stream sees false and ends).
class socket_event_sink final : public live::event_sink {
public:
    socket_event_sink(beast::tcp_stream& stream, const limits& limits)
        : stream_(stream), limits_(limits) {}

    net::awaitable<bool> send(std::string text) override {
        stream_.expires_after(limits_.write_timeout);
        auto [ec, n] = co_await net::async_write(stream_, net::buffer(text), use_tuple);
        co_return !ec;
    }

private:
    beast::tcp_stream& stream_;
    const limits& limits_;
};

// Reads (and ignores) whatever the client sends on an event stream, to learn at once when it
// closes the connection. Holds the connection and the sink, as it may outlive the stream.
net::awaitable<void> watch_for_disconnect(std::shared_ptr<connection> conn,
                                          std::shared_ptr<socket_event_sink> sink) {
    std::array<char, 512> ignored{};
    for (;;) {
        auto [ec, n] =
            co_await conn->stream.socket().async_read_some(net::buffer(ignored), use_tuple);
        if (ec) break;
    }
    sink->notify_disconnect();
}

// Sends the text/event-stream header, then runs the reply's stream. The body has no length and
// ends when the connection closes, which is how an event stream ends.
net::awaitable<void> run_event_stream(const std::shared_ptr<connection>& conn, const limits& limits,
                                      unsigned version, reply& r) {
    auto& stream = conn->stream;
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, version};
    res.set(field::content_type, "text/event-stream");
    res.set(field::cache_control, "no-cache");
    res.set(field::access_control_allow_origin, "*");
    res.set(field::access_control_allow_methods, "GET, POST, PATCH, OPTIONS");
    res.set(field::access_control_allow_headers, "Content-Type");
    res.set("X-Accel-Buffering", "no");  // nginx: pass events on at once
    res.keep_alive(false);
    bhttp::response_serializer<bhttp::empty_body> serializer(res);
    stream.expires_after(limits.write_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
    if (ec) co_return;
    auto sink = std::make_shared<socket_event_sink>(stream, limits);
    net::co_spawn(stream.get_executor(), watch_for_disconnect(conn, sink), net::detached);
    co_await r.stream(*sink);
}

bool expects_continue(const bhttp::request_parser<bhttp::string_body>& parser) {
    return beast::iequals(parser.get()[field::expect], "100-continue");
}

net::awaitable<reply> dispatch(request_handler& handler, const request& req, const peer& from) {
    auto routed = match_route(req.target());
    if (auto* error = std::get_if<reply>(&routed)) co_return std::move(*error);
    const auto& r = std::get<route>(routed);
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

}  // namespace

net::awaitable<void> run_session(std::shared_ptr<connection> conn, session_context ctx) {
    auto& stream = conn->stream;
    beast::flat_buffer buffer;
    beast::error_code no_peer;  // the peer may already be gone; it then has no address
    const auto remote = stream.socket().remote_endpoint(no_peer);
    const peer from{no_peer ? std::string() : remote.address().to_string()};
    for (;;) {
        // Idle: wait for the first byte of the next request under the keep-alive timeout, so
        // the header timeout below starts only when a request does.
        if (buffer.size() == 0) {
            conn->idle = true;
            if (ctx.stopping) break;
            stream.expires_after(ctx.limits.idle_timeout);
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
        stream.expires_after(ctx.limits.header_timeout);
        auto [header_ec, header_bytes] =
            co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
        beast::error_code read_ec = header_ec;
        if (!read_ec && !parser.is_done()) {
            if (expects_continue(parser)) {
                bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_,
                                                         parser.get().version()};
                stream.expires_after(ctx.limits.write_timeout);
                auto [ec, n] = co_await bhttp::async_write(stream, go_on, use_tuple);
                if (ec) break;
            }
            stream.expires_after(ctx.limits.body_timeout);
            auto [body_ec, body_bytes] =
                co_await bhttp::async_read(stream, buffer, parser, use_tuple);
            read_ec = body_ec;
        }
        if (read_ec) {
            if (auto r = reply_for_read_error(read_ec, ctx.limits)) {
                spdlog::info("- - {} (unreadable request: {})", r->status, read_ec.message());
                if (co_await write_reply(stream, ctx.limits, 11, false, *r, false)) {
                    co_await linger_and_close(stream);
                }
            }
            break;
        }

        const auto started = std::chrono::steady_clock::now();
        const request& req = parser.get();
        reply r = co_await dispatch(ctx.handler, req, from);
        if (r.stream) {
            spdlog::info("{} {} {} stream opened", req.method_string(), req.target(), r.status);
            co_await run_event_stream(conn, ctx.limits, req.version(), r);
            break;
        }
        const bool keep_alive = req.keep_alive() && !r.close_connection && !ctx.stopping;
        const std::size_t body_bytes = r.body.size();
        const bool written = co_await write_reply(stream, ctx.limits, req.version(),
                                                  req.method() == bhttp::verb::head, r, keep_alive);
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
        spdlog::info("{} {} {} {}B {}us", req.method_string(), req.target(), r.status, body_bytes,
                     micros);
        if (!written || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
}

}  // namespace progressd::http
