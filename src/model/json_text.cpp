#include "model/json_text.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <array>
#include <cmath>
#include <cstdlib>

namespace progressd::model {
namespace {

namespace json = boost::json;

// A basic_parser handler that builds a json::value through value_stack, as Boost.JSON's own
// parser does, except for numbers: Boost 1.81 may be off by one unit in the last place on long
// decimals, so each number is converted again from its text by strtod, which rounds correctly.
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
    bool on_int64(std::int64_t, json::string_view s, json::error_code&) { return push_number(s); }
    bool on_uint64(std::uint64_t, json::string_view s, json::error_code&) { return push_number(s); }
    bool on_double(double, json::string_view s, json::error_code&) { return push_number(s); }
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
    bool push_number(json::string_view last) {
        number_text_.append(last.data(), last.size());
        // strtod gives ±HUGE_VAL (infinity) past the double range, as JSON.parse does; the
        // validator then rejects it the way Zod rejects Infinity.
        stack_.push_double(std::strtod(number_text_.c_str(), nullptr));
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

}  // namespace progressd::model
