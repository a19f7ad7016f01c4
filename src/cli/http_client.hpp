// A small blocking HTTP/1.1 client for progressctl: one keep-alive connection to one base URL,
// with a deadline on every network step. Blocking for the caller, asynchronous inside, because
// Beast's tcp_stream applies its timeouts to asynchronous operations only.
#pragma once

#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd::cli {

struct http_response {
    unsigned status = 0;
    std::string body;
    /// Header names in lower case; a repeated header keeps its last value.
    std::map<std::string, std::string> headers;

    /// The value of header `name` (any case), or "" when absent.
    std::string header(std::string_view name) const;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// Thrown when no server can be reached at all (the name does not resolve, or the connection is
/// refused or times out): "nothing answers at 127.0.0.1:3000 (Connection refused)".
class unreachable_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class http_client {
public:
    /// `base_url` is `http://host[:port][/prefix]`, or `host[:port][/prefix]` meaning http;
    /// every request target is appended to the prefix. Throws std::invalid_argument naming the
    /// problem for any other form, e.g. "https is not supported yet: https://example.com".
    /// Does not connect yet.
    explicit http_client(std::string_view base_url,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    /// Sends one request and reads the whole response, reusing the open connection when the
    /// server kept it alive. `target` is the path and query after the base prefix, already
    /// percent-encoded. A reused connection that turns out closed by the server is reopened
    /// once and the request sent again. Any status is a result; only a transport failure
    /// (connect, send, receive, timeout, malformed response) throws std::runtime_error with a
    /// one-line reason, e.g. "cannot connect to 127.0.0.1:3000: Connection refused".
    http_response request(boost::beast::http::verb method, std::string_view target,
                          std::string body = {}, const header_list& headers = {});

    /// Sends a GET for a response that streams (an event stream) on a connection of its own, and
    /// hands each piece of the body to `on_data` as it arrives until `on_data` returns false or
    /// the server ends the body. Returns the status (the body is not read unless it is 200).
    /// Throws std::runtime_error on transport failure, or when nothing arrives for `idle`.
    unsigned stream(std::string_view target, const header_list& headers,
                    const std::function<bool(std::string_view)>& on_data,
                    std::chrono::milliseconds idle);

    /// Sends `Authorization: Bearer <token>` with every later request and stream; an empty
    /// token sends none. Throws std::invalid_argument, without quoting the token, when it holds
    /// characters a header cannot carry.
    void set_token(std::string token);

    /// How many TCP connections this client has opened so far; shows keep-alive at work.
    std::size_t connections_opened() const { return connections_opened_; }

    /// "host:port", as error messages name the server.
    const std::string& authority() const { return authority_; }

private:
    struct connection;

    void connect();
    void disconnect();
    header_list common_headers() const;  // Host, User-Agent, Authorization

    std::string host_;  // for the resolver: no brackets around an IPv6 address
    std::string port_;
    std::string host_header_;  // as written in the URL
    std::string authority_;
    std::string prefix_;  // the base URL's path without its trailing '/'
    std::string token_;   // never part of any message: it is a credential
    std::chrono::milliseconds timeout_;
    std::unique_ptr<connection> connection_;
    std::size_t connections_opened_ = 0;
};

/// Percent-encodes `segment` for use as one path segment: everything but the RFC 3986 pchars
/// is encoded, '/' included. Example: encode_path_segment("a b/é") == "a%20b%2F%C3%A9".
std::string encode_path_segment(std::string_view segment);

}  // namespace progressd::cli
