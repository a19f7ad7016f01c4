// Who may do what (docs/security.md). Three kinds of bearer token, each optional and each a
// list (old and new tokens valid together while scripts are rotated): admin ⊇ write ⊇ read.
// A kind with no tokens configured is open, which keeps the original app's public API.
#pragma once

#include "http/response.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::api {

enum class access { open, read, write, admin };

struct token_sets {
    std::vector<std::string> read;
    std::vector<std::string> write;
    std::vector<std::string> admin;
};

class access_policy {
public:
    explicit access_policy(token_sets tokens);

    /// Whether `needed` access demands a token at all with this configuration.
    bool requires_token(access needed) const;

    /// Checks the credential of a request that needs `needed` access: the token of its
    /// "Authorization: Bearer …" header, else `query_token` (the ?token= of a GET or an event
    /// stream, which EventSource cannot give headers). nullopt when allowed, otherwise the 401
    /// (no token) or 403 (a token that does not grant this) reply. The answer depends only on
    /// the credential, never on whether a session exists.
    std::optional<http::reply> check(access needed, std::string_view authorization,
                                     std::string_view query_token) const;

    /// The admin API exists only when an admin token is configured.
    bool admin_enabled() const { return !tokens_.admin.empty(); }

private:
    bool grants(std::string_view token, access needed) const;

    token_sets tokens_;
};

/// Compares in time that depends only on the lengths, so that timing reveals nothing of a
/// token's characters.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace progressd::api
