// Namespace aliases for the Boost libraries progressd is built on, declared once here rather
// than in every file (the shape of Beast's chat-multi example).
#pragma once

namespace boost::asio {}
namespace boost::beast {}
namespace boost::beast::http {}
namespace boost::json {}
namespace boost::urls {}

namespace progressd {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
namespace urls = boost::urls;
}  // namespace progressd
