// Raw bytes as they arrive on a connection, answered in process the way http/session.cpp
// answers them, without a socket: Beast's request_parser with the server's limits
// (http/limits.hpp), one request after another while keep-alive allows (pipelining), the
// client's address (http/client_address) and request id (http/access_log), CORS (http/cors),
// routing (http/router), and the real application: api::gateway over progress_api and
// admin_api on a memory store, run to completion on an io_context. Event streams run too, until
// the "closing" that shutdown sends.
//
// The configuration is small, so that limits are reachable: 3 log entries per session, 4
// sessions, a burst of 3 writes and 8 reads per client, 4 watchers. An admin token
// ("Bearer fuzz-admin") is always configured; an input that mentions "Authorization" also gets
// read and write tokens ("fuzz-read", "fuzz-write"), and one that mentions "X-Write-Key" gets
// per-session write keys.
//
// Invariants:
// - a message Beast refuses, or one with a Transfer-Encoding that does not end in chunked,
//   ends the connection with 400, 413 or 431 and a JSON body (http/request_checks; so does an
//   HTTP/1.1 request without a Host header, or one with two);
// - every answer has a status the API documents (never 5xx but 507 for the full store), a JSON
//   body when it says application/json (and none on a 304), Allow on a 405;
// - the response as the session builds it serializes to HTTP that parses back to the same
//   status and body (no header value can break the framing);
// - a routed session id is valid; the client address is an IP address; the request id is a
//   plausible one; the JSON access line is JSON;
// - a 200 progress (GET or PATCH) is canonical ProgressData of that session, a 200 log is
//   {"errors":[canonical entries]}; an event stream is well-formed SSE that ends in "closing".
#include "event_text.hpp"
#include "fuzz_check.hpp"

#include "api/admin_api.hpp"
#include "api/gateway.hpp"
#include "api/progress_api.hpp"
#include "api/write_meter.hpp"
#include "http/access_log.hpp"
#include "http/client_address.hpp"
#include "http/cors.hpp"
#include "http/limits.hpp"
#include "http/request_checks.hpp"
#include "http/router.hpp"
#include "live/hub.hpp"
#include "metrics/registry.hpp"
#include "model/serialize.hpp"
#include "model/session_id.hpp"
#include "model/validation.hpp"
#include "store/memory_store.hpp"
#include "util/clock.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <sstream>
#include <string>

namespace progressd::fuzz {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using bhttp::field;
using bhttp::verb;
using namespace std::chrono_literals;

constexpr std::string_view peer_address = "127.0.0.1";

// Every awaitable runs to completion on this one context, on the fuzzer's thread.
net::io_context& ioc() {
    static net::io_context context;
    return context;
}

template <class T>
T run(net::io_context& ioc, net::awaitable<T> work) {
    auto done = net::co_spawn(ioc, std::move(work), net::use_future);
    ioc.restart();
    ioc.run();
    return done.get();
}

// One server, as main() wires it, with a memory store; fresh for every input.
struct server {
    explicit server(std::string_view input)
        : store(clock, {3, 4}),
          hub({4, 2}),
          metrics("memory", clock),
          progress(store, hub, clock, metrics, options(input)),
          admin(store, hub, writes, metrics, admin_options()),
          gateway(progress, admin, writes, metrics, api::access_policy(tokens(input)),
                  {1, 3, 1, 8}) {}

    static api::admin_options admin_options() {
        api::admin_options o;
        o.store_name = "memory";
        return o;
    }
    static api::api_options options(std::string_view input) {
        api::api_options o;
        o.ttl = 60s;
        o.heartbeat = 10s;
        o.max_log_entries = 3;
        o.session_keys = input.find("X-Write-Key") != std::string_view::npos;
        return o;
    }
    static api::token_sets tokens(std::string_view input) {
        if (input.find("Authorization") == std::string_view::npos) return {{}, {}, {"fuzz-admin"}};
        return {{"fuzz-read"}, {"fuzz-write"}, {"fuzz-admin"}};
    }

    manual_clock clock;
    store::memory_store store;
    live::hub hub;
    metrics::registry metrics;
    api::progress_api progress;
    api::write_meter writes;
    api::admin_api admin;
    api::gateway gateway;
    http::cors_policy cors{{"https://allowed.example"}};
    http::trusted_proxies proxies{{"127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"}};
    http::limits limits;
};

//------------------------------------------------------------------------------
// Checks of one answer

bool documented_status(unsigned status) {
    constexpr std::array<unsigned, 11> statuses = {200, 304, 400, 401, 403, 404,
                                                   405, 413, 429, 431, 507};
    return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

void check_progress_body(std::string_view body, std::string_view session_id) {
    auto parsed = model::parse_json(body);
    const auto* value = std::get_if<json::value>(&parsed);
    FUZZ_CHECK_MSG(value != nullptr, body);
    auto validated = model::validate_progress(*value);
    const auto* p = std::get_if<model::progress>(&validated);
    FUZZ_CHECK_MSG(p != nullptr && model::to_json(*p) == body, body);
    FUZZ_CHECK_MSG(p->session_id == session_id, body);
}

void check_log_body(std::string_view body) {
    auto parsed = model::parse_json(body);
    const auto* value = std::get_if<json::value>(&parsed);
    FUZZ_CHECK_MSG(value != nullptr && value->is_object(), body);
    const auto* errors = value->get_object().if_contains("errors");
    FUZZ_CHECK_MSG(errors != nullptr && errors->is_array(), body);
    for (const auto& element : errors->get_array()) {
        auto validated = model::validate_log_entry(element);
        FUZZ_CHECK_MSG(std::holds_alternative<model::log_entry>(validated), body);
    }
}

// The response as session.cpp's fill_response builds it, serialized and parsed back.
void check_wire_form(const http::reply& r, const bhttp::request<bhttp::string_body>& req,
                     std::string_view request_id, std::string_view allow_origin) {
    bhttp::response<bhttp::string_body> res;
    res.result(static_cast<bhttp::status>(r.status));
    res.version(req.version());
    res.set(field::content_type, r.content_type);
    if (!allow_origin.empty()) res.set(field::access_control_allow_origin, allow_origin);
    res.set("X-Request-Id", request_id);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    if (!r.allow.empty()) res.set(field::allow, r.allow);
    if (!r.etag.empty()) res.set(field::etag, r.etag);
    res.keep_alive(req.keep_alive());
    res.body() = r.body;
    res.prepare_payload();
    std::ostringstream wire;
    wire << res;
    const std::string bytes = wire.str();

    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(req.method() == verb::head);
    parser.eager(true);
    beast::error_code ec;
    parser.put(net::buffer(bytes), ec);
    FUZZ_CHECK_MSG(!ec && parser.is_done(), ec.message() + "\n" + bytes);
    const auto& back = parser.get();
    FUZZ_CHECK_MSG(back.result_int() == r.status, bytes);
    if (req.method() != verb::head) FUZZ_CHECK_MSG(back.body() == r.body, bytes);
    FUZZ_CHECK(back["X-Request-Id"] == request_id);
}

void check_event_stream(server& s, http::reply& r) {
    s.hub.close_all();  // the stream sends its state, then "closing", and ends
    struct recording_sink final : live::event_sink {
        net::awaitable<bool> send(std::string text) override {
            sent.push_back(std::move(text));
            co_return true;
        }
        std::vector<std::string> sent;
    } sink;
    run(ioc(), r.stream(sink));
    FUZZ_CHECK(sink.sent.size() >= 2);  // retry and closing at least
    for (const auto& text : sink.sent) {
        const auto block = parse_event_block(text);
        FUZZ_CHECK_MSG(block.has_value(), text);
        if (block->id) FUZZ_CHECK_MSG(live::parse_event_id(*block->id).has_value(), text);
        if (block->data) FUZZ_CHECK_MSG(is_json(*block->data), text);
    }
    FUZZ_CHECK(parse_event_block(sink.sent.front())->retry.has_value());
    FUZZ_CHECK(parse_event_block(sink.sent.back())->event == "closing");
}

void check_answer(server& s, const http::route* routed, const http::request& req, http::reply& r) {
    const std::string detail = std::to_string(r.status) + " " + r.body;
    FUZZ_CHECK_MSG(documented_status(r.status), detail);
    FUZZ_CHECK(!r.content_type.empty());
    if (r.stream) {
        FUZZ_CHECK(r.status == 200 && routed && routed->target == http::endpoint::progress_events);
        check_event_stream(s, r);
        return;
    }
    if (r.status == 304) FUZZ_CHECK(r.body.empty() && !r.etag.empty());
    if (r.content_type == "application/json" && r.status != 304) {
        FUZZ_CHECK_MSG(is_json(r.body), detail);
    }
    if (r.status == 405) FUZZ_CHECK(routed && r.allow == http::allowed_methods(routed->target));
    if (r.status != 200 || routed == nullptr) return;
    const verb method = req.method();
    const bool read = method == verb::get || method == verb::head;
    if (routed->target == http::endpoint::progress && (read || method == verb::patch)) {
        std::string body = r.body;
        // The write that claimed a session (--session-keys) gets its key in the body too.
        for (const auto& [name, value] : r.headers) {
            if (name != "X-Write-Key") continue;
            std::string member = R"(,"writeKey":)";
            model::append_json_string(member, value);
            member += '}';
            FUZZ_CHECK_MSG(method == verb::patch && body.ends_with(member), body);
            body.resize(body.size() - member.size());
            body += '}';
        }
        check_progress_body(body, routed->session_id);
    }
    if (routed->target == http::endpoint::progress_log && read) check_log_body(r.body);
}

//------------------------------------------------------------------------------
// One request, as session.cpp answers it

http::reply dispatch(server& s, const http::request& req, const http::peer& from,
                     std::optional<http::route>& routed) {
    auto matched = http::match_route(req.target());
    if (auto* error = std::get_if<http::reply>(&matched)) return std::move(*error);
    routed = std::get<http::route>(std::move(matched));
    if (!routed->session_id.empty() || routed->target == http::endpoint::progress ||
        routed->target == http::endpoint::live_page) {
        FUZZ_CHECK_MSG(!model::session_id_problem(routed->session_id), routed->session_id);
    }
    if (!http::is_allowed(routed->target, req.method())) {
        return http::method_not_allowed_reply(http::allowed_methods(routed->target));
    }
    http::reply answer = run(ioc(), s.gateway.handle(*routed, req, from));
    const bool read = req.method() == verb::get || req.method() == verb::head;
    const auto e = routed->target;
    const bool cacheable = e == http::endpoint::progress || e == http::endpoint::progress_log ||
                           e == http::endpoint::start_page || e == http::endpoint::live_page ||
                           e == http::endpoint::asset;
    if (read && cacheable) http::make_conditional(answer, req[field::if_none_match]);
    return answer;
}

// Answers one parsed request; false when the connection would close after it.
bool answer(server& s, const http::request& req) {
    const std::string client = http::client_address(peer_address, req["X-Forwarded-For"],
                                                    req[field::forwarded], s.proxies);
    beast::error_code ec;
    net::ip::make_address(client, ec);
    FUZZ_CHECK_MSG(!ec, client);
    const std::string request_id = http::request_id_for(req["X-Request-Id"]);
    FUZZ_CHECK(!request_id.empty() && request_id.size() <= 128);
    if (req["X-Request-Id"] != request_id) FUZZ_CHECK(request_id.size() == 16);
    const std::string_view origin = req[field::origin];
    const std::string_view allow_origin = s.cors.allow_origin(origin);
    const bool preflight = req.method() == verb::options && !origin.empty();

    std::optional<http::route> routed;
    http::reply r = preflight && allow_origin.empty() ? http::error_reply(403, "Origin not allowed")
                                                      : dispatch(s, req, {client}, routed);
    check_answer(s, routed ? &*routed : nullptr, req, r);
    const std::string line = http::format_access(
        {request_id, client, req.method_string(), req.target(), r.status, r.body.size(), {}, {}},
        true);
    FUZZ_CHECK_MSG(is_json(line), line);
    if (r.stream) return false;
    check_wire_form(r, req, request_id, allow_origin);
    return req.keep_alive() && !r.close_connection;
}

// A message Beast refused: session.cpp answers some and closes.
void check_read_error(const beast::error_code& ec) {
    FUZZ_CHECK_MSG(ec.category() == beast::error_code(bhttp::error::bad_target).category(),
                   ec.message());
    std::string body;
    model::append_json_string(body, ec.message());
    FUZZ_CHECK_MSG(is_json(body), body);
}

}  // namespace
}  // namespace progressd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    progressd::fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace progressd;
    namespace beast = boost::beast;
    namespace bhttp = boost::beast::http;
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    fuzz::server s(rest);
    while (!rest.empty()) {
        // A fresh parser per request, as the session makes one.
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(s.limits.max_header_bytes));
        parser.body_limit(s.limits.max_body_bytes);
        beast::error_code ec;
        // The header first (put stops there when not eager), then the body, as the session
        // reads them.
        bool header_checked = false;
        while (!parser.is_done()) {
            if (parser.is_header_done() && !header_checked) {
                header_checked = true;
                if (http::has_unframed_transfer_encoding(parser)) {
                    ec = bhttp::error::bad_transfer_encoding;
                    break;
                }
                parser.eager(true);
            }
            if (rest.empty()) {
                parser.put_eof(ec);  // the client closed before the message was complete
                break;
            }
            const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
            rest.remove_prefix(used);
            if (ec == bhttp::error::need_more) {
                ec = {};
                if (used == 0) {
                    parser.put_eof(ec);  // what is left is not a whole header
                    break;
                }
                continue;
            }
            if (ec) break;
        }
        if (ec) {
            if (ec != bhttp::error::partial_message && ec != bhttp::error::end_of_stream) {
                fuzz::check_read_error(ec);
            }
            break;
        }
        if (!parser.is_done()) break;
        if (!header_checked && http::has_unframed_transfer_encoding(parser)) {
            fuzz::check_read_error(bhttp::error::bad_transfer_encoding);
            break;
        }
        if (!http::host_problem(parser.get()).empty()) break;  // 400, and the connection closes
        if (!fuzz::answer(s, parser.get())) break;
    }
    return 0;
}
