// One line per request: as text, or as a JSON object per line (--log-format json) for log
// shippers. Every request carries a request id, taken from the client's X-Request-Id when it is
// a plausible one (a proxy in front may have assigned it) or made up here, and returned in the
// answer, so that a user's report and the server's log line can be matched. No line carries a
// secret: the values of secret query parameters (?token=…) are replaced before a line is built.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace progressd::http {

struct access_record {
    std::string_view request_id;
    std::string_view client;  ///< the client's address (after trusted proxies)
    std::string_view method;
    std::string_view target;
    unsigned status = 0;
    std::size_t body_bytes = 0;
    std::chrono::microseconds duration{0};
    std::string_view note;  ///< e.g. "stream opened"; empty for a plain request
};

/// Query parameters whose values are secrets. `token` is the one the server reads (api/gateway,
/// through query_parameter, which percent-decodes the name and compares it exactly); the others
/// are names a route or a proxied application might take a key or password by. A parameter is
/// secret when its name, percent-decoded and with ASCII letters lowered, is one of these, so
/// `%74oken=` and `TOKEN=` are redacted too.
inline constexpr std::array<std::string_view, 6> secret_query_parameters = {
    "token", "access_token", "key", "writekey", "write_key", "password"};

/// `target` with the value of every secret query parameter replaced by "[redacted]", each
/// repetition included. Example: "/x?a=1&token=s&%74oken=t" →
/// "/x?a=1&token=[redacted]&%74oken=[redacted]".
std::string redact_secrets(std::string_view target);

/// `incoming` (the request's X-Request-Id, possibly empty) when it is 1–128 characters of
/// letters, digits and -_.:/+=@, else a new random 16-hex-digit id.
std::string request_id_for(std::string_view incoming);

/// The access line of `r`: text ("GET /api/progress/x 200 52B 310us id=…") or a JSON object,
/// with r.target's secrets redacted.
std::string format_access(const access_record& r, bool json);

}  // namespace progressd::http
