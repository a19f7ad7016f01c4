// JSON text in and out with JavaScript's semantics: parsing behaves like JSON.parse (numbers are
// doubles rounded correctly, the last of duplicate keys wins in the first one's place) and
// strings are escaped like JSON.stringify. Boost.JSON does the parsing.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace progressd::model {

/// Why a body is not JSON, and the byte offset where the parser gave up.
struct json_syntax_error {
    std::string message;
    std::size_t position = 0;
};

/// Nesting deeper than this is refused as a syntax error; progress data is four levels deep.
inline constexpr std::size_t max_json_depth = 64;

/// Parses one complete JSON document. Every number becomes a double, as in JavaScript.
/// Example: parse_json(R"({"a":1,"a":2})") holds an object whose "a" is 2.0.
std::variant<boost::json::value, json_syntax_error> parse_json(std::string_view text);

/// Appends `utf8` as a JSON string literal escaped the way JSON.stringify does it: `"` and `\`,
/// the short escapes \b \f \n \r \t, other control characters as \u00xx, everything else as is.
/// Precondition: `utf8` is valid UTF-8.
void append_json_string(std::string& out, std::string_view utf8);

/// Appends `value` as JSON.stringify(value) writes it: on one line without spaces, members in
/// their order, numbers as JavaScript prints them (a non-finite one as null), strings as above.
/// Example: appends R"({"a":[1,0.5]})" for the value that parse_json("{ \"a\": [1.0, 5e-1] }")
/// returns.
void append_stringified(std::string& out, const boost::json::value& value);

}  // namespace progressd::model
