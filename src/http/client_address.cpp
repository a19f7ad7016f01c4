#include "http/client_address.hpp"

#include <spdlog/spdlog.h>
#include <boost/beast/core/string.hpp>

#include <atomic>
#include <stdexcept>

namespace progressd::http {
namespace {

namespace ip = boost::asio::ip;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The comma-separated items of a header, nearest hop (the last item) first.
std::vector<std::string_view> hops_nearest_first(std::string_view header) {
    std::vector<std::string_view> hops;
    while (!header.empty()) {
        const auto comma = header.rfind(',');
        const auto item = comma == std::string_view::npos ? header : header.substr(comma + 1);
        hops.push_back(trim(item));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(0, comma);
    }
    return hops;
}

// The node of one Forwarded element: for="[2001:db8::1]:4711" → 2001:db8::1.
std::string_view forwarded_for(std::string_view element) {
    while (!element.empty()) {
        const auto semicolon = element.find(';');
        auto pair = trim(element.substr(0, semicolon));
        element.remove_prefix(semicolon == std::string_view::npos ? element.size() : semicolon + 1);
        // Parameter names are case-insensitive (RFC 7239 §4): "fOr=" is "for=".
        if (pair.size() < 4 || !boost::beast::iequals(pair.substr(0, 4), "for=")) continue;
        auto node = pair.substr(4);
        if (node.size() >= 2 && node.front() == '"' && node.back() == '"') {
            node = node.substr(1, node.size() - 2);
        }
        if (!node.empty() && node.front() == '[') {
            const auto close = node.find(']');
            return close == std::string_view::npos ? std::string_view() : node.substr(1, close - 1);
        }
        // An IPv4 node may carry a port; an unbracketed IPv6 one may not (RFC 7239 §6).
        if (node.find(':') == node.rfind(':')) node = node.substr(0, node.find(':'));
        return node;
    }
    return {};
}

std::optional<ip::address> parse_address(std::string_view text) {
    boost::system::error_code ec;
    auto address = ip::make_address(std::string(text), ec);
    if (ec) return std::nullopt;
    // An IPv4 client seen through an IPv6 socket is still that IPv4 client.
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return ip::make_address_v4(ip::v4_mapped, address.to_v6());
    }
    return address;
}

// Loopback, RFC 1918, link-local and unique-local addresses: where a reverse proxy of the same
// deployment would connect from.
bool is_local(const ip::address& address) {
    if (address.is_loopback()) return true;
    if (address.is_v4()) {
        const auto bytes = address.to_v4().to_bytes();
        return bytes[0] == 10 || (bytes[0] == 172 && (bytes[1] & 0xF0) == 16) ||
               (bytes[0] == 192 && bytes[1] == 168) || (bytes[0] == 169 && bytes[1] == 254);
    }
    const auto bytes = address.to_v6().to_bytes();
    return (bytes[0] & 0xFE) == 0xFC || address.to_v6().is_link_local();
}

std::atomic<bool> proxy_warning_given{false};

// Once per process: forwarding headers from a local peer while no proxy is trusted mean that
// progressd most likely sits behind a proxy and sees every client as that proxy, so that they
// all share one rate-limit bucket.
void warn_once_if_behind_untrusted_proxy(std::string_view peer, std::string_view x_forwarded_for,
                                         std::string_view forwarded) {
    if ((x_forwarded_for.empty() && forwarded.empty()) || proxy_warning_given.load()) return;
    const auto address = parse_address(peer);
    if (!address || !is_local(*address) || proxy_warning_given.exchange(true)) return;
    spdlog::warn(
        "a request from {} carries {} but no --trust-proxy is set: every client behind that proxy "
        "looks like one and shares its rate limits; start with --trust-proxy {} (or the proxy's "
        "network) to count clients by the address the proxy forwards",
        address->to_string(), x_forwarded_for.empty() ? "Forwarded" : "X-Forwarded-For",
        address->to_string());
}

}  // namespace

trusted_proxies::trusted_proxies(const std::vector<std::string>& networks) {
    for (const auto& text : networks) {
        boost::system::error_code ec;
        if (text.find('/') == std::string::npos) {
            const auto address = ip::make_address(text, ec);
            if (!ec && address.is_v4()) v4_.emplace_back(address.to_v4(), 32);
            if (!ec && address.is_v6()) v6_.emplace_back(address.to_v6(), 128);
        } else if (text.find(':') != std::string::npos) {
            v6_.push_back(ip::make_network_v6(text, ec));
        } else {
            v4_.push_back(ip::make_network_v4(text, ec));
        }
        if (ec) throw std::invalid_argument("not an address or CIDR: " + text);
    }
}

bool trusted_proxies::contains(const ip::address& address) const {
    if (address.is_v4()) {
        const ip::network_v4 host(address.to_v4(), 32);
        for (const auto& network : v4_) {
            if (host == network || host.is_subnet_of(network)) return true;
        }
        return false;
    }
    const ip::network_v6 host(address.to_v6(), 128);
    for (const auto& network : v6_) {
        if (host == network || host.is_subnet_of(network)) return true;
    }
    return false;
}

std::string client_address(std::string_view peer, std::string_view x_forwarded_for,
                           std::string_view forwarded, const trusted_proxies& proxies) {
    if (proxies.empty()) {  // the common case costs no parsing
        warn_once_if_behind_untrusted_proxy(peer, x_forwarded_for, forwarded);
        return std::string(peer);
    }
    auto current = parse_address(peer);
    if (!current) return std::string(peer);
    if (!proxies.contains(*current)) return current->to_string();

    const bool use_forwarded = !trim(forwarded).empty();
    for (const auto hop : hops_nearest_first(use_forwarded ? forwarded : x_forwarded_for)) {
        const auto next = parse_address(use_forwarded ? forwarded_for(hop) : hop);
        if (!next) break;  // "unknown", an obfuscated node or garbage: stop at the proxy
        current = next;
        if (!proxies.contains(*current)) break;
    }
    return current->to_string();
}

std::string limit_key(std::string_view address) {
    if (address.find(':') == std::string_view::npos) return std::string(address);
    const auto parsed = parse_address(address);
    if (!parsed) return std::string(address);
    if (parsed->is_v4()) return parsed->to_string();
    // One subscriber usually gets a whole /64 and picks addresses in it at will (RFC 4941).
    return ip::network_v6(parsed->to_v6(), 64).canonical().to_string();
}

}  // namespace progressd::http
