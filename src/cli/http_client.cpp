// The blocking HTTP/1.1 client: every network step is started asynchronously and the private
// io_context is run until it completes, so tcp_stream's per-operation deadlines apply.
#include "cli/http_client.hpp"

#include "util/net.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace progressd::cli {
namespace {

using tcp = net::ip::tcp;
using string_request = bhttp::request<bhttp::string_body>;
using string_response = bhttp::response<bhttp::string_body>;

// A misdirected URL can point at a server that streams forever; stop well before memory does.
constexpr std::uint64_t max_response_body_bytes = std::uint64_t{64} * 1024 * 1024;

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Runs `ioc` until the operation just started on it, and the timer tcp_stream armed for it,
// have both completed.
void run_to_completion(net::io_context& ioc) {
    ioc.restart();
    ioc.run();
}

// The errors by which a kept-alive connection that the server closed while it sat idle shows
// itself on the next request, before any byte of a response arrived.
bool is_closed_by_peer(const beast::error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::connection_aborted ||
           ec == net::error::broken_pipe;
}

// Whether `text` is a port a server can listen on; url_view::port_number wraps 99999 around.
bool is_tcp_port(std::string_view text) {
    unsigned value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    return ec == std::errc{} && ptr == end && value >= 1 && value <= 65535;
}

std::invalid_argument bad_url(std::string_view problem, std::string_view base_url) {
    return std::invalid_argument(std::string(problem) + ": " + std::string(base_url));
}

// "127.0.0.1:3000" is what people type; without a scheme a URL parser reads "127.0.0.1" as
// one (or rejects the text), so anything without "://" is taken as http.
std::string with_scheme(std::string_view base_url) {
    if (base_url.find("://") != std::string_view::npos) return std::string(base_url);
    return "http://" + std::string(base_url);
}

}  // namespace

//------------------------------------------------------------------------------
// One TCP connection and the io_context that drives it

struct http_client::connection {
    // What one request/response exchange produced; `failed_step` names the step for errors.
    // (Its move assignment is noexcept: Beast's fields move without throwing under
    // std::allocator, which clang-tidy 14 cannot see.)
    struct attempt {  // NOLINT(bugprone-exception-escape)
        beast::error_code ec;
        const char* failed_step = nullptr;
        bool got_nothing = true;
        string_response response;
    };

    net::io_context ioc{1};
    beast::tcp_stream stream{ioc};
    beast::flat_buffer buffer;

    bool is_open() const { return stream.socket().is_open(); }

    // Resolves and connects; returns the error and, through `failed_step`, which step failed.
    beast::error_code open(const std::string& host, const std::string& port,
                           std::chrono::milliseconds timeout, const char** failed_step) {
        tcp::resolver resolver(ioc);
        tcp::resolver::results_type endpoints;
        beast::error_code ec;
        bool resolved = false;
        resolver.async_resolve(host, port, [&](const beast::error_code& e, auto results) {
            ec = e;
            endpoints = std::move(results);
            resolved = true;
        });
        ioc.restart();
        ioc.run_for(timeout);
        if (!resolved) {
            // The resolver has no deadline of its own; give up on it and report a timeout.
            resolver.cancel();
            run_to_completion(ioc);
            ec = beast::error::timeout;
        }
        if (ec) {
            *failed_step = "cannot resolve";
            return ec;
        }
        stream.expires_after(timeout);
        stream.async_connect(endpoints, [&](const beast::error_code& e, const auto&) { ec = e; });
        run_to_completion(ioc);
        if (ec) *failed_step = "cannot connect to";
        return ec;
    }

    attempt exchange(const string_request& req, std::chrono::milliseconds timeout) {
        attempt a;
        stream.expires_after(timeout);
        bhttp::async_write(stream, req, [&](const beast::error_code& e, std::size_t) { a.ec = e; });
        run_to_completion(ioc);
        if (a.ec) {
            a.failed_step = "cannot send the request to";
            return a;
        }

        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(max_response_body_bytes);
        // A HEAD response announces a Content-Length but carries no body.
        if (req.method() == bhttp::verb::head) parser.skip(true);
        stream.expires_after(timeout);
        bhttp::async_read(stream, buffer, parser,
                          [&](const beast::error_code& e, std::size_t) { a.ec = e; });
        run_to_completion(ioc);
        if (a.ec) {
            a.failed_step = "no complete response from";
            a.got_nothing = !parser.got_some();
            return a;
        }
        a.response = parser.release();
        return a;
    }

    void close() {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.close();
        buffer.clear();
    }
};

//------------------------------------------------------------------------------
// http_client

std::string http_response::header(std::string_view name) const {
    const auto it = headers.find(to_lower(name));
    return it == headers.end() ? std::string() : it->second;
}

http_client::http_client(std::string_view base_url, std::chrono::milliseconds timeout)
    : timeout_(timeout), connection_(std::make_unique<connection>()) {
    const std::string full_url = with_scheme(base_url);
    const auto parsed = urls::parse_uri(full_url);
    if (!parsed) throw bad_url("invalid base URL (" + parsed.error().message() + ")", base_url);
    const urls::url_view& url = *parsed;
    if (url.scheme_id() == urls::scheme::https) {
        throw bad_url("https is not supported yet", base_url);
    }
    if (url.scheme_id() != urls::scheme::http) {
        throw bad_url("base URL must start with http://", base_url);
    }
    if (!url.has_authority() || url.encoded_host().empty()) {
        throw bad_url("no host in base URL", base_url);
    }
    if (url.has_userinfo()) {
        throw bad_url("credentials in the base URL are not supported", base_url);
    }
    if (url.has_query() || url.has_fragment()) {
        throw bad_url("base URL must not have a query or fragment", base_url);
    }
    port_ = url.port().empty() ? "80" : std::string(url.port());
    if (!is_tcp_port(port_)) throw bad_url("invalid port in base URL", base_url);

    host_ = url.host_address();
    host_header_ = url.encoded_host_and_port();
    authority_ = std::string(url.encoded_host()) + ":" + port_;
    prefix_ = url.encoded_path();
    if (prefix_.ends_with('/')) prefix_.pop_back();
}

http_client::~http_client() {
    if (connection_->is_open()) connection_->close();
}

void http_client::set_token(std::string token) {
    for (const char c : token) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
            throw std::invalid_argument("the token holds spaces or control characters");
        }
    }
    token_ = std::move(token);
}

header_list http_client::common_headers() const {
    header_list headers{{"Host", host_header_}, {"User-Agent", "progressctl/" PROGRESSD_VERSION}};
    if (!token_.empty()) headers.emplace_back("Authorization", "Bearer " + token_);
    return headers;
}

void http_client::connect() {
    const char* failed_step = nullptr;
    if (auto ec = connection_->open(host_, port_, timeout_, &failed_step)) {
        connection_->close();
        throw unreachable_error("nothing answers at " + authority_ + " (" + ec.message() + ")");
    }
    ++connections_opened_;
}

void http_client::disconnect() { connection_->close(); }

http_response http_client::request(bhttp::verb method, std::string_view target, std::string body,
                                   const header_list& headers) {
    std::string path = prefix_ + std::string(target);
    if (path.empty()) path = "/";
    string_request req{method, path, 11};
    for (auto& [name, value] : common_headers()) req.set(name, value);
    for (auto& [name, value] : headers) req.set(name, value);
    req.body() = std::move(body);
    req.prepare_payload();

    const bool reused = connection_->is_open();
    if (!reused) connect();
    auto a = connection_->exchange(req, timeout_);
    // The server may close an idle kept-alive connection at any moment, and we learn it only
    // now. It had not begun to answer, so it did not act on the request: sending again is safe.
    if (a.ec && reused && a.got_nothing && is_closed_by_peer(a.ec)) {
        disconnect();
        connect();
        a = connection_->exchange(req, timeout_);
    }
    if (a.ec) {
        disconnect();
        throw std::runtime_error(std::string(a.failed_step) + " " + authority_ + ": " +
                                 a.ec.message());
    }
    if (!a.response.keep_alive()) disconnect();

    http_response out;
    out.status = a.response.result_int();
    for (const auto& f : a.response) {
        out.headers[to_lower(f.name_string())] = std::string(f.value());
    }
    out.body = std::move(a.response.body());
    return out;
}

unsigned http_client::stream(std::string_view target, const header_list& headers,
                             const std::function<bool(std::string_view)>& on_data,
                             std::chrono::milliseconds idle) {
    connection c;
    const char* failed_step = nullptr;
    if (auto ec = c.open(host_, port_, timeout_, &failed_step)) {
        throw unreachable_error("nothing answers at " + authority_ + " (" + ec.message() + ")");
    }
    std::string path = prefix_ + std::string(target);
    string_request req{bhttp::verb::get, path, 11};
    for (auto& [name, value] : common_headers()) req.set(name, value);
    for (auto& [name, value] : headers) req.set(name, value);
    beast::error_code ec;
    c.stream.expires_after(timeout_);
    bhttp::async_write(c.stream, req, [&](const beast::error_code& e, std::size_t) { ec = e; });
    run_to_completion(c.ioc);
    if (ec)
        throw std::runtime_error("cannot send the request to " + authority_ + ": " + ec.message());

    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.body_limit(boost::none);  // a stream has no end we know of
    c.stream.expires_after(timeout_);
    bhttp::async_read_header(c.stream, c.buffer, parser,
                             [&](const beast::error_code& e, std::size_t) { ec = e; });
    run_to_completion(c.ioc);
    if (ec) throw std::runtime_error("no response from " + authority_ + ": " + ec.message());
    const unsigned status = parser.get().result_int();
    if (status != 200) return status;

    std::array<char, 8192> chunk{};
    while (!parser.is_done()) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        c.stream.expires_after(idle);
        bhttp::async_read_some(c.stream, c.buffer, parser,
                               [&](const beast::error_code& e, std::size_t) { ec = e; });
        run_to_completion(c.ioc);
        if (ec == bhttp::error::need_buffer) ec = {};
        const std::size_t received = chunk.size() - parser.get().body().size;
        if (received > 0 && !on_data(std::string_view(chunk.data(), received))) break;
        if (ec == bhttp::error::end_of_stream || ec == net::error::eof) break;
        if (ec)
            throw std::runtime_error("the stream from " + authority_ + " broke: " + ec.message());
    }
    c.close();
    return status;
}

std::string encode_path_segment(std::string_view segment) {
    // pchars is RFC 3986's set for path characters; it has no '/', so a '/' inside a session
    // id cannot split the segment in two.
    return urls::encode(segment, urls::pchars);
}

}  // namespace progressd::cli
