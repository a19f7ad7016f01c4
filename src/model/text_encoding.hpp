// Turns request body bytes into UTF-8 text. Windows PowerShell 5.1 sends bodies in Windows-1252
// unless told otherwise, so a body that is not UTF-8 and names no charset is read as
// Windows-1252 (its text arrives intact) instead of failing; encoding never fails an update.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace progressd::model {

/// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or values > U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

/// `bytes` with each ill-formed UTF-8 sequence replaced by U+FFFD, as the WHATWG decoder does.
/// Example: replace_invalid_utf8("a\xFFb") == "a\xEF\xBF\xBDb".
std::string replace_invalid_utf8(std::string_view bytes);

/// The UTF-8 text of a body whose Content-Type header is `content_type` (may be empty), or
/// nullopt when `body` is already that text and can be used as it is (the common case, no copy).
/// - charset utf-8 named: invalid sequences become U+FFFD, as the WHATWG decoder and JSON.parse do;
/// - charset windows-1252, iso-8859-1, latin1 or us-ascii named: decoded as Windows-1252;
/// - no (or another) charset: valid UTF-8 is kept, anything else is decoded as Windows-1252;
/// - a leading UTF-8 byte order mark is dropped in every case.
/// Example: to_utf8_text("\xE9", "application/json") == "\xC3\xA9" ("é").
std::optional<std::string> to_utf8_text(std::string_view body, std::string_view content_type);

}  // namespace progressd::model
