// What makes a request unanswerable once its header is read, whatever it asks for: the session
// refuses it with 400 and closes the connection (fuzz/fuzz_http_request drives the same checks).
#pragma once

#include "http/request_handler.hpp"

#include <boost/beast/http/parser.hpp>

#include <string_view>

namespace progressd::http {

/// RFC 9112 §6.3: a Transfer-Encoding whose last coding is not chunked (e.g. "chunked,
/// identity", "identity", "xchunked") leaves the body without a determinable length. Beast reads
/// such a request as bodiless, which would make its body the next request on the connection: a
/// request smuggling shape.
bool has_unframed_transfer_encoding(
    const boost::beast::http::request_parser<boost::beast::http::string_body>& parser);

/// RFC 9112 §3.2: an HTTP/1.1 request without a Host header, or any request with more than one,
/// is refused (Node's server, under the original app, does the same since Node 20). Returns
/// what is wrong, or an empty view.
std::string_view host_problem(const request& req);

}  // namespace progressd::http
