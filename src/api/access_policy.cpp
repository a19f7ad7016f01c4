#include "api/access_policy.hpp"

#include <openssl/crypto.h>

namespace progressd::api {
namespace {

std::string_view bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer ";
    if (authorization.size() <= scheme.size()) return {};
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return {};
    }
    auto token = authorization.substr(scheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    return token;
}

bool listed(std::string_view token, const std::vector<std::string>& tokens) {
    bool found = false;
    // No early exit: every configured token is compared, whichever matches.
    for (const auto& candidate : tokens) found |= constant_time_equal(token, candidate);
    return found;
}

std::string_view kind_name(access a) {
    switch (a) {
        case access::read:
            return "read";
        case access::write:
            return "write";
        case access::admin:
            return "admin";
        case access::open:
            break;
    }
    return "";
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

access_policy::access_policy(token_sets tokens) : tokens_(std::move(tokens)) {}

bool access_policy::requires_token(access needed) const {
    switch (needed) {
        case access::open:
            return false;
        case access::read:
            return !tokens_.read.empty();
        case access::write:
            return !tokens_.write.empty();
        case access::admin:
            return true;  // the admin API is never open
    }
    return true;
}

bool access_policy::grants(std::string_view token, access needed) const {
    const bool admin = listed(token, tokens_.admin);
    if (needed == access::admin) return admin;
    const bool write = listed(token, tokens_.write);
    if (needed == access::write) return write || admin;
    return listed(token, tokens_.read) || write || admin;
}

std::optional<http::reply> access_policy::check(access needed, std::string_view authorization,
                                                std::string_view query_token) const {
    if (!requires_token(needed)) return std::nullopt;
    if (needed == access::admin && !admin_enabled()) {
        return http::auth_failure_reply(
            403, "The admin API is off: start progressd with --admin-token to use it");
    }
    std::string_view token = bearer_token(authorization);
    if (token.empty()) token = query_token;
    const std::string kind(kind_name(needed));
    if (token.empty()) {
        return http::auth_failure_reply(
            401, "This needs a " + kind + " token: send Authorization: Bearer <token>" +
                     (needed == access::read ? " or ?token=<token>" : ""));
    }
    if (!grants(token, needed)) {
        return http::auth_failure_reply(403,
                                        "The token given is not valid for " + kind + " access");
    }
    return std::nullopt;
}

}  // namespace progressd::api
