// Cross-origin access for browsers (--cors-origin). By default any origin may call the API, as
// the original app allowed; with an allow-list, only the listed origins get the CORS headers
// (the browser then refuses the answer to everyone else) and a preflight from any other origin
// is refused outright. Scripts (curl, PowerShell) send no Origin and are unaffected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace progressd::http {

class cors_policy {
public:
    /// `origins`: "*" for any, else exact origins such as "https://ops.example.com".
    explicit cors_policy(std::vector<std::string> origins = {"*"});

    /// The Access-Control-Allow-Origin value for a request with this Origin header ("" when it
    /// has none): "*" for any origin, the origin itself when it is listed, "" when it may not.
    std::string_view allow_origin(std::string_view origin) const;

    /// Whether answers depend on the Origin header (then they carry Vary: Origin).
    bool varies() const { return !any_; }

    static constexpr std::string_view allow_methods = "GET, POST, PATCH, DELETE, OPTIONS";
    static constexpr std::string_view allow_headers =
        "Content-Type, Authorization, X-Write-Key, X-Request-Id, Last-Event-ID";
    static constexpr std::string_view expose_headers =
        "X-Write-Key, X-Request-Id, Retry-After, ETag";

private:
    bool any_ = false;
    std::vector<std::string> origins_;
};

}  // namespace progressd::http
