#include "http/client_address.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace progressd::http {
namespace {

TEST(client_address, without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say) {
    const trusted_proxies none;
    EXPECT_EQ(client_address("192.0.2.1", "203.0.113.7", "for=203.0.113.8", none), "192.0.2.1");
}

TEST(client_address, an_untrusted_peer_cannot_name_another_client) {
    const trusted_proxies proxies({"10.0.0.0/8"});
    EXPECT_EQ(client_address("192.0.2.1", "203.0.113.7", "", proxies), "192.0.2.1");
}

TEST(client_address, a_trusted_proxy_names_the_client_in_x_forwarded_for) {
    const trusted_proxies proxies({"10.0.0.0/8"});
    EXPECT_EQ(client_address("10.0.0.2", "203.0.113.7", "", proxies), "203.0.113.7");
}

TEST(client_address, the_walk_stops_at_the_first_untrusted_hop_from_the_nearest_end) {
    const trusted_proxies proxies({"10.0.0.0/8"});
    // The client wrote "1.1.1.1" itself; the first proxy appended the real client, 203.0.113.7.
    EXPECT_EQ(client_address("10.0.0.2", "1.1.1.1, 203.0.113.7, 10.0.0.9", "", proxies),
              "203.0.113.7");
}

TEST(client_address, garbage_in_the_chain_ends_the_walk_at_the_last_trusted_hop) {
    const trusted_proxies proxies({"10.0.0.0/8"});
    EXPECT_EQ(client_address("10.0.0.2", "203.0.113.7, not-an-ip", "", proxies), "10.0.0.2");
    EXPECT_EQ(client_address("10.0.0.2", "", "", proxies), "10.0.0.2");
}

TEST(client_address, forwarded_is_read_with_quotes_ports_and_ipv6_brackets) {
    const trusted_proxies proxies({"127.0.0.1", "::1"});
    EXPECT_EQ(client_address("127.0.0.1", "", R"(for="[2001:db8::1]:4711";proto=https)", proxies),
              "2001:db8::1");
    EXPECT_EQ(client_address("::1", "", "for=192.0.2.60:8080, for=127.0.0.1", proxies),
              "192.0.2.60");
    EXPECT_EQ(client_address("127.0.0.1", "", "For=unknown", proxies), "127.0.0.1");
}

TEST(client_address, forwarded_parameter_names_are_case_insensitive) {
    // RFC 7239 §4: "for", "For", "fOr" and "FOR" are one parameter.
    const trusted_proxies proxies({"127.0.0.1"});
    for (const char* name : {"for", "For", "fOr", "foR", "FOR"}) {
        EXPECT_EQ(client_address("127.0.0.1", "", std::string(name) + "=198.51.100.9", proxies),
                  "198.51.100.9")
            << name;
        EXPECT_EQ(
            client_address("127.0.0.1", "",
                           "Proto=https; " + std::string(name) + "=\"[2001:db8::7]:80\"", proxies),
            "2001:db8::7")
            << name;
    }
}

TEST(client_address, forwarded_wins_over_x_forwarded_for) {
    const trusted_proxies proxies({"127.0.0.1"});
    EXPECT_EQ(client_address("127.0.0.1", "198.51.100.1", "for=198.51.100.2", proxies),
              "198.51.100.2");
}

TEST(client_address, ipv4_mapped_peers_count_as_their_ipv4_address) {
    const trusted_proxies proxies({"10.0.0.0/8"});
    EXPECT_EQ(client_address("::ffff:10.0.0.2", "203.0.113.7", "", proxies), "203.0.113.7");
}

TEST(limit_key, ipv6_clients_are_keyed_by_their_64_and_ipv4_ones_by_their_address) {
    EXPECT_EQ(limit_key("2001:db8:1:2:a:b:c:d"), "2001:db8:1:2::/64");
    EXPECT_EQ(limit_key("2001:db8:1:2::ffff"), limit_key("2001:db8:1:2:1:2:3:4"));
    EXPECT_NE(limit_key("2001:db8:1:2::1"), limit_key("2001:db8:1:3::1"));
    EXPECT_EQ(limit_key("::1"), "::/64");
    EXPECT_EQ(limit_key("192.0.2.7"), "192.0.2.7");
    // An IPv4 client on a dual-stack socket is still only itself, not all of ::ffff:0:0/96.
    EXPECT_EQ(limit_key("::ffff:192.0.2.7"), "192.0.2.7");
    EXPECT_NE(limit_key("::ffff:192.0.2.7"), limit_key("::ffff:192.0.2.8"));
    EXPECT_EQ(limit_key("not an address"), "not an address");
}

TEST(client_address, networks_must_be_addresses_or_cidrs) {
    EXPECT_THROW(trusted_proxies({"10.0.0.0/33"}), std::invalid_argument);
    EXPECT_THROW(trusted_proxies({"proxy.local"}), std::invalid_argument);
    const trusted_proxies single({"192.0.2.5"});
    EXPECT_TRUE(single.contains(boost::asio::ip::make_address("192.0.2.5")));
    EXPECT_FALSE(single.contains(boost::asio::ip::make_address("192.0.2.6")));
}

}  // namespace
}  // namespace progressd::http
