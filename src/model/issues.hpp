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
    /// too_big: "string", "array", "object" (a record's keys), or "log" / "progress" (bytes)
    std::string_view origin;
    std::size_t maximum = 0;  ///< too_big: the largest allowed size, inclusive
};

/// The most issues one answer reports. Zod reports every issue, but a 64 KiB body of wrong
/// array elements has 30,000 of them: building and sending each (with a copy of its path) made
/// an answer 60 times the body. Past the cap, issues are only counted (issue_list::omitted).
inline constexpr std::size_t max_reported_issues = 100;

/// The issues of one document: the first max_reported_issues found, in schema order, and the
/// number found after those and not built. Example: a body whose "errors" array holds 300
/// numbers gives 100 issues (paths ["errors",0] to ["errors",99]) and omitted == 200.
struct issue_list : std::vector<issue> {
    using std::vector<issue>::vector;
    std::size_t omitted = 0;

    /// False once the cap is reached: the caller then counts the issue instead of building it.
    bool has_room() const { return size() < max_reported_issues; }
    /// Keeps `i` if there is room, else counts it.
    void add(issue i) {
        if (has_room()) {
            push_back(std::move(i));
        } else {
            ++omitted;
        }
    }
};

/// Appends `issues` as the JSON array Zod's `JSON.stringify(error.issues)` gives: keys in Zod's
/// order (expected, code, [received,] path, message / code, values, path, message).
/// Example: [{"expected":"string","code":"invalid_type","path":["currentAction"],
///           "message":"Invalid input: expected string, received undefined"}]
/// A too_big issue reads like z.string().max(n)'s: {"origin":"string","code":"too_big",
/// "maximum":2048,"inclusive":true,"path":["currentAction"],
/// "message":"Too big: expected string to have <=2048 characters"}.
void append_issues_json(std::string& out, const issue_list& issues);

}  // namespace progressd::model
