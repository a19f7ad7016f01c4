#include "http/client_address.hpp"

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
        if (pair.size() < 4 || (pair.substr(0, 4) != "for=" && pair.substr(0, 4) != "For=" &&
                                pair.substr(0, 4) != "FOR=")) {
            continue;
        }
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
    if (proxies.empty()) return std::string(peer);  // the common case costs no parsing
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

}  // namespace progressd::http
