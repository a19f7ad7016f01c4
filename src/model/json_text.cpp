#include "model/json_text.hpp"

#include "model/js_number.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace progressd::model {
namespace {

namespace json = boost::json;

// A basic_parser handler that builds a json::value through value_stack, as Boost.JSON's own
// parser does, except for numbers: Boost 1.81 may be off by one unit in the last place on long
// decimals, so each number is converted again from its text by std::from_chars, which rounds
// correctly and, unlike strtod, ignores the C locale (a "de_DE" LC_NUMERIC made "1.5" read as 1).
class js_value_builder {
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    json::value release() { return stack_.release(); }

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_array_begin(json::error_code&) { return true; }
    bool on_array_end(std::size_t n, json::error_code&) {
        stack_.push_array(n);
        return true;
    }
    bool on_object_begin(json::error_code&) { return true; }
    bool on_object_end(std::size_t n, json::error_code&) {
        stack_.push_object(n);
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
        stack_.push_chars(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t, json::error_code&) {
        stack_.push_string(s);
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        stack_.push_chars(s);
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code&) {
        stack_.push_key(s);
        return true;
    }
    bool on_number_part(json::string_view s, json::error_code&) {
        number_text_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t n, json::string_view s, json::error_code&) {
        return push_number(s, static_cast<double>(n));
    }
    bool on_uint64(std::uint64_t n, json::string_view s, json::error_code&) {
        return push_number(s, static_cast<double>(n));
    }
    bool on_double(double d, json::string_view s, json::error_code&) { return push_number(s, d); }
    bool on_bool(bool b, json::error_code&) {
        stack_.push_bool(b);
        return true;
    }
    bool on_null(json::error_code&) {
        stack_.push_null();
        return true;
    }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }

private:
    // `last` is the final piece of the number's text; earlier pieces came through on_number_part.
    // `approximate` is Boost's own conversion of it.
    bool push_number(json::string_view last, double approximate) {
        number_text_.append(last.data(), last.size());
        const char* begin = number_text_.data();
        double value = 0;
        const auto parsed = std::from_chars(begin, begin + number_text_.size(), value);
        if (parsed.ec == std::errc::result_out_of_range) {
            // from_chars leaves `value` alone past the double range; JSON.parse gives ±Infinity
            // above it (which the validator then rejects as Zod rejects Infinity) and ±0 below.
            // Boost's approximation is off by an ulp at most, so it tells the two apart.
            const double magnitude =
                std::fabs(approximate) >= 1 ? std::numeric_limits<double>::infinity() : 0.0;
            value = std::copysign(magnitude, number_text_.front() == '-' ? -1.0 : 1.0);
        }
        stack_.push_double(value);
        number_text_.clear();
        return true;
    }

    json::value_stack stack_;
    std::string number_text_;
};

json::parse_options js_parse_options() {
    json::parse_options options;
    options.max_depth = max_json_depth;
    return options;
}

std::string describe(const json::error_code& ec) {
    if (ec == json::error::too_deep) {
        return "JSON nesting is deeper than " + std::to_string(max_json_depth) + " levels";
    }
    if (ec == json::error::incomplete) return "Unexpected end of JSON input";
    if (ec == json::error::extra_data) return "Unexpected data after the JSON value";
    if (ec == json::error::syntax) return "Unexpected character in JSON";
    return ec.message();
}

}  // namespace

std::variant<json::value, json_syntax_error> parse_json(std::string_view text) {
    json::basic_parser<js_value_builder> parser(js_parse_options());
    json::error_code ec;
    const std::size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
    if (!ec && consumed < text.size()) ec = json::error::extra_data;
    if (ec) return json_syntax_error{describe(ec), consumed};
    return parser.handler().release();
}

void append_json_string(std::string& out, std::string_view utf8) {
    static constexpr std::array<char, 16> hex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                 '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    out += '"';
    for (const char c : utf8) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (byte < 0x20) {
                    out += "\\u00";
                    out += hex[byte >> 4];
                    out += hex[byte & 0xF];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

namespace {

void append_number(std::string& out, double number) {
    if (std::isfinite(number)) {
        append_js_number(out, number);
    } else {
        out += "null";  // as JSON.stringify writes Infinity
    }
}

void append_members(std::string& out, const json::object& object) {
    out += '{';
    const char* separator = "";
    for (const auto& [key, member] : object) {
        out += separator;
        append_json_string(out, std::string_view(key.data(), key.size()));
        out += ':';
        append_stringified(out, member);
        separator = ",";
    }
    out += '}';
}

void append_elements(std::string& out, const json::array& array) {
    out += '[';
    const char* separator = "";
    for (const auto& element : array) {
        out += separator;
        append_stringified(out, element);
        separator = ",";
    }
    out += ']';
}

}  // namespace

void append_stringified(std::string& out, const json::value& value) {
    switch (value.kind()) {
        case json::kind::null:
            out += "null";
            break;
        case json::kind::bool_:
            out += value.get_bool() ? "true" : "false";
            break;
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_:
            append_number(out, value.to_number<double>());
            break;
        case json::kind::string:
            append_json_string(
                out, std::string_view(value.get_string().data(), value.get_string().size()));
            break;
        case json::kind::array:
            append_elements(out, value.get_array());
            break;
        case json::kind::object:
            append_members(out, value.get_object());
            break;
    }
}

}  // namespace progressd::model
