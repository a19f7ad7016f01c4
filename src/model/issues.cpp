#include "model/issues.hpp"

#include "model/json_text.hpp"

namespace progressd::model {
namespace {

void append_path(std::string& out, const std::vector<path_segment>& path) {
    out += '[';
    bool first = true;
    for (const auto& segment : path) {
        if (!first) out += ',';
        first = false;
        if (const auto* key = std::get_if<std::string>(&segment)) {
            append_json_string(out, *key);
        } else {
            out += std::to_string(std::get<std::size_t>(segment));
        }
    }
    out += ']';
}

void append_invalid_type(std::string& out, const issue& i) {
    out += R"({"expected":)";
    append_json_string(out, i.expected);
    out += R"(,"code":"invalid_type")";
    if (i.received_infinity) out += R"(,"received":"Infinity")";
    out += R"(,"path":)";
    append_path(out, i.path);
    std::string message = "Invalid input: expected ";
    message += i.expected;
    message += ", received ";
    message += i.received;
    out += R"(,"message":)";
    append_json_string(out, message);
    out += '}';
}

void append_invalid_value(std::string& out, const issue& i) {
    out += R"({"code":"invalid_value","values":[)";
    std::string message = "Invalid option: expected one of ";
    bool first = true;
    for (const std::string_view value : i.values) {
        if (!first) {
            out += ',';
            message += '|';
        }
        first = false;
        append_json_string(out, value);
        append_json_string(message, value);
    }
    out += R"(],"path":)";
    append_path(out, i.path);
    out += R"(,"message":)";
    append_json_string(out, message);
    out += '}';
}

// The unit Zod's English locale names for each origin; "keys" (records) and "bytes" (the
// stored size of a "log" or a "progress") are progressd's own.
std::string_view size_unit(std::string_view origin) {
    if (origin == "string") return "characters";
    if (origin == "array") return "items";
    if (origin == "object") return "keys";
    return "bytes";
}

void append_too_big(std::string& out, const issue& i) {
    out += R"({"origin":)";
    append_json_string(out, i.origin);
    out += R"(,"code":"too_big","maximum":)";
    out += std::to_string(i.maximum);
    out += R"(,"inclusive":true,"path":)";
    append_path(out, i.path);
    std::string message = "Too big: expected ";
    message += i.origin;
    message += " to have <=";
    message += std::to_string(i.maximum);
    message += ' ';
    message += size_unit(i.origin);
    out += R"(,"message":)";
    append_json_string(out, message);
    out += '}';
}

}  // namespace

void append_issues_json(std::string& out, const issue_list& issues) {
    out += '[';
    bool first = true;
    for (const auto& i : issues) {
        if (!first) out += ',';
        first = false;
        switch (i.code) {
            case issue::code_kind::invalid_type:
                append_invalid_type(out, i);
                break;
            case issue::code_kind::invalid_value:
                append_invalid_value(out, i);
                break;
            case issue::code_kind::too_big:
                append_too_big(out, i);
                break;
        }
    }
    out += ']';
}

}  // namespace progressd::model
