#include "http/request_checks.hpp"

#include <gtest/gtest.h>

namespace progressd::http {
namespace {

namespace bhttp = boost::beast::http;

request with_hosts(unsigned version, int hosts) {
    request req{bhttp::verb::get, "/healthz", version};
    for (int i = 0; i < hosts; ++i) req.insert(bhttp::field::host, "h" + std::to_string(i));
    return req;
}

TEST(host_problem, one_host_is_fine_and_http_1_0_may_go_without) {
    EXPECT_EQ(host_problem(with_hosts(11, 1)), "");
    EXPECT_EQ(host_problem(with_hosts(10, 1)), "");
    EXPECT_EQ(host_problem(with_hosts(10, 0)), "");
}

TEST(host_problem, http_1_1_without_a_host_or_any_request_with_two_is_refused) {
    EXPECT_EQ(host_problem(with_hosts(11, 0)), "An HTTP/1.1 request needs a Host header");
    EXPECT_EQ(host_problem(with_hosts(11, 2)), "A request may carry only one Host header");
    EXPECT_EQ(host_problem(with_hosts(10, 2)), "A request may carry only one Host header");
}

// Parses `text` as the session does: the header, then whatever the framing says.
bool unframed(std::string_view text) {
    bhttp::request_parser<bhttp::string_body> parser;
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(text.data(), text.size()), ec);
    EXPECT_TRUE(parser.is_header_done()) << ec.message();
    return has_unframed_transfer_encoding(parser);
}

TEST(has_unframed_transfer_encoding, only_a_coding_list_ending_in_chunked_frames_the_body) {
    EXPECT_FALSE(unframed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n"));
    EXPECT_FALSE(unframed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
    EXPECT_FALSE(
        unframed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"));
    EXPECT_TRUE(unframed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n"));
    EXPECT_TRUE(
        unframed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n"));
}

}  // namespace
}  // namespace progressd::http
