// Who the client is, when progressd may sit behind reverse proxies. The peer of the TCP
// connection is the client unless it is a proxy the operator trusts (--trust-proxy); then the
// proxies' X-Forwarded-For (or RFC 7239 Forwarded) header names it. Without trusted proxies the
// headers are ignored: anyone can write them, and believing them would let a client pick its
// own rate-limit bucket.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::http {

class trusted_proxies {
public:
    trusted_proxies() = default;
    /// `networks`: addresses or CIDRs such as "10.0.0.0/8" or "::1". Throws
    /// std::invalid_argument naming the first one that is neither.
    explicit trusted_proxies(const std::vector<std::string>& networks);

    bool empty() const { return v4_.empty() && v6_.empty(); }
    bool contains(const boost::asio::ip::address& address) const;

private:
    std::vector<boost::asio::ip::network_v4> v4_;
    std::vector<boost::asio::ip::network_v6> v6_;
};

/// The client's address for a request from `peer` with the given X-Forwarded-For and Forwarded
/// header values (either may be empty): walking the proxy chain from the nearest hop back, the
/// first address that is not a trusted proxy. Forwarded wins when both are present. A malformed
/// header ends the walk at the last trusted hop, so a client never gets to choose an address.
/// Example: peer 10.0.0.2 (trusted), X-Forwarded-For "203.0.113.7, 10.0.0.9" with 10.0.0.0/8
/// trusted → "203.0.113.7".
/// Without trusted proxies, the first request from a loopback or private peer that carries either
/// header logs a warning once per process: progressd then probably sits behind a proxy that makes
/// all clients look like one.
std::string client_address(std::string_view peer, std::string_view x_forwarded_for,
                           std::string_view forwarded, const trusted_proxies& proxies);

/// The key of `address` (a client_address) for per-client limits: an IPv4 address as it is (also
/// when written as ::ffff:a.b.c.d), an IPv6 address as its /64, which one subscriber holds whole.
/// Example: limit_key("2001:db8:1:2:a:b:c:d") → "2001:db8:1:2::/64".
std::string limit_key(std::string_view address);

}  // namespace progressd::http
