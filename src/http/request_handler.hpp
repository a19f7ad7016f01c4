// The seam between the HTTP layer and the application: a session hands every routed request to
// one request_handler and writes back the reply it gets. http/ knows nothing else of api/.
#pragma once

#include "http/response.hpp"
#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace progressd::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;

/// Who sent a request, as far as the connection tells.
struct peer {
    std::string address;  ///< the client's IP address, e.g. "127.0.0.1"
};

class request_handler {
public:
    virtual ~request_handler() = default;
    /// Answers `req` from `from`, whose method `is_allowed` for `r.target`. Never throws.
    virtual boost::asio::awaitable<reply> handle(const route& r, const request& req,
                                                 const peer& from) = 0;
};

}  // namespace progressd::http
