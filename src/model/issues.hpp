// Validation issues shaped like Zod 4's `error.issues`, so clients that read the original app's
// 400 answers read progressd's the same way.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace progressd::model {

/// One step of an issue's path: an object key or an array index.
using path_segment = std::variant<std::string, std::size_t>;

/// One Zod issue: the two codes the schemas can produce, and too_big for progressd's quotas
/// (model/quotas.hpp). The message is derived from the other fields when the issue is
/// serialized, exactly as Zod's English locale words it.
struct issue {
    enum class code_kind { invalid_type, invalid_value, too_big };

    code_kind code = code_kind::invalid_type;
    std::vector<path_segment> path;
    std::string_view expected;  ///< invalid_type: "string", "number", "object", "record", ...
    std::string_view
        received;  ///< invalid_type: JavaScript type of the input ("undefined" if absent)
    bool received_infinity = false;  ///< invalid_type on a number: Zod adds "received":"Infinity"
    std::span<const std::string_view> values;  ///< invalid_value: the enum's options
    std::string_view origin;  ///< too_big: "string", "array" or "object" (a record's keys)
    std::size_t maximum = 0;  ///< too_big: the largest allowed size, inclusive
};

using issue_list = std::vector<issue>;

/// Appends `issues` as the JSON array Zod's `JSON.stringify(error.issues)` gives: keys in Zod's
/// order (expected, code, [received,] path, message / code, values, path, message).
/// Example: [{"expected":"string","code":"invalid_type","path":["currentAction"],
///           "message":"Invalid input: expected string, received undefined"}]
/// A too_big issue reads like z.string().max(n)'s: {"origin":"string","code":"too_big",
/// "maximum":2048,"inclusive":true,"path":["currentAction"],
/// "message":"Too big: expected string to have <=2048 characters"}.
void append_issues_json(std::string& out, const issue_list& issues);

}  // namespace progressd::model
