// The rule for session ids. The original stored any id (10,000 characters, "a/b", control
// characters); progressd accepts what a script or a person can type and a URL can carry.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace progressd::model {

inline constexpr std::size_t max_session_id_characters = 200;

/// Why `id` (the URL-decoded path segment) is not a valid session id, or nullopt when it is:
/// 1 to 200 Unicode characters of valid UTF-8, none of them a control character or `/`.
/// Example: session_id_problem("a/b") == "session ID must not contain '/'".
std::optional<std::string> session_id_problem(std::string_view id);

}  // namespace progressd::model
