#include "http/request_checks.hpp"

namespace progressd::http {

bool has_unframed_transfer_encoding(
    const boost::beast::http::request_parser<boost::beast::http::string_body>& parser) {
    return parser.get().count(boost::beast::http::field::transfer_encoding) != 0 &&
           !parser.chunked();
}

std::string_view host_problem(const request& req) {
    const std::size_t hosts = req.count(boost::beast::http::field::host);
    if (hosts > 1) return "A request may carry only one Host header";
    if (hosts == 0 && req.version() >= 11) return "An HTTP/1.1 request needs a Host header";
    return {};
}

}  // namespace progressd::http
