// The rules come from Prometheus's "Exposition formats" document (text format 0.0.4). Where it
// leaves a choice, this parser takes the strict one: histogram buckets must come in increasing
// `le` order, the lines of a family must be one group, and a value is a decimal float, +Inf,
// -Inf or NaN (not Go's every ParseFloat spelling).
#include "support/prometheus_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

namespace progressd::testing {
namespace {

// Thrown inside the parser and turned into a parse_error; `line` 0 means the current line.
struct bad_text {
    std::string message;
    std::size_t line = 0;
};
[[noreturn]] void fail(std::string message, std::size_t line = 0) {
    throw bad_text{std::move(message), line};
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_label_char(char c) { return is_letter(c) || is_digit(c) || c == '_'; }
bool is_metric_char(char c) { return is_label_char(c) || c == ':'; }

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A cursor over one line, without its newline.
class line_reader {
public:
    explicit line_reader(std::string_view line) : line_(line) {}

    bool at_end() const { return pos_ == line_.size(); }
    char peek() const { return at_end() ? '\0' : line_[pos_]; }
    void advance() { ++pos_; }
    bool skip_blanks() {
        const std::size_t start = pos_;
        while (!at_end() && is_blank(line_[pos_])) ++pos_;
        return pos_ != start;
    }
    std::string_view rest() const { return line_.substr(pos_); }
    std::string_view token() {
        const std::size_t start = pos_;
        while (!at_end() && !is_blank(line_[pos_])) ++pos_;
        return line_.substr(start, pos_ - start);
    }

    // [a-zA-Z_:][a-zA-Z0-9_:]*
    std::string_view metric_name() {
        const std::size_t start = pos_;
        if (at_end() || !(is_letter(peek()) || peek() == '_' || peek() == ':')) {
            fail("expected a metric name at " + quoted(rest()));
        }
        while (!at_end() && is_metric_char(line_[pos_])) ++pos_;
        return line_.substr(start, pos_ - start);
    }

    // [a-zA-Z_][a-zA-Z0-9_]*, and not __ (reserved for Prometheus itself)
    std::string_view label_name() {
        const std::size_t start = pos_;
        if (at_end() || !(is_letter(peek()) || peek() == '_')) {
            fail("expected a label name at " + quoted(rest()));
        }
        while (!at_end() && is_label_char(line_[pos_])) ++pos_;
        const std::string_view name = line_.substr(start, pos_ - start);
        if (name.starts_with("__")) fail("label name " + quoted(name) + " is reserved");
        return name;
    }

    // After the opening quote: the unescaped value up to the closing quote, which it consumes.
    std::string label_value() {
        std::string value;
        while (true) {
            if (at_end()) fail("unterminated label value");
            const char c = line_[pos_++];
            if (c == '"') return value;
            if (c != '\\') {
                value += c;
                continue;
            }
            if (at_end()) fail("unterminated label value");
            const char escaped = line_[pos_++];
            if (escaped == '\\' || escaped == '"') {
                value += escaped;
            } else if (escaped == 'n') {
                value += '\n';
            } else {
                fail(std::string("invalid escape \\") + escaped + " in a label value");
            }
        }
    }

private:
    std::string_view line_;
    std::size_t pos_ = 0;
};

struct series_head {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;  // unescaped values, sorted by name

    const std::string* find(std::string_view label) const {
        for (const auto& [key, value] : labels) {
            if (key == label) return &value;
        }
        return nullptr;
    }
};

std::string escape_label_value(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

// name{a="x",b="y"} with the labels in name order, leaving out `except`.
std::string canonical(const series_head& head, std::string_view except = {}) {
    std::string out = head.name;
    char separator = '{';
    for (const auto& [key, value] : head.labels) {
        if (key == except) continue;
        out += separator;
        out += key + "=\"" + escape_label_value(value) + "\"";
        separator = ',';
    }
    if (separator == ',') out += '}';
    return out;
}

// A metric name and its optional {labels}: duplicate label names and raw newlines are errors, a
// trailing comma is allowed, blanks may stand between the tokens inside the braces.
series_head read_series_head(line_reader& in) {
    series_head head{std::string(in.metric_name()), {}};
    if (in.peek() != '{') return head;
    in.advance();
    while (true) {
        in.skip_blanks();
        if (in.peek() == '}') break;
        std::string name(in.label_name());
        in.skip_blanks();
        if (in.peek() != '=') fail("expected = after label " + quoted(name));
        in.advance();
        in.skip_blanks();
        if (in.peek() != '"') fail("expected a quoted value for label " + quoted(name));
        in.advance();
        std::string value = in.label_value();
        if (head.find(name) != nullptr) fail("label " + quoted(name) + " appears twice");
        head.labels.emplace_back(std::move(name), std::move(value));
        in.skip_blanks();
        if (in.peek() == ',') {
            in.advance();
        } else if (in.peek() != '}') {
            fail("expected , or } after the value of label " + quoted(head.labels.back().first));
        }
    }
    in.advance();
    std::sort(head.labels.begin(), head.labels.end());
    return head;
}

// [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?, or +Inf, -Inf, NaN.
double parse_float(std::string_view text) {
    if (text == "+Inf") return std::numeric_limits<double>::infinity();
    if (text == "-Inf") return -std::numeric_limits<double>::infinity();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t start = i;
        while (i < text.size() && is_digit(text[i])) ++i;
        return i - start;
    };
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    std::size_t mantissa = digits();
    if (i < text.size() && text[i] == '.') {
        ++i;
        mantissa += digits();
    }
    bool valid = mantissa > 0;
    if (valid && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        valid = digits() > 0;
    }
    if (!valid || i != text.size()) fail("invalid value " + quoted(text));
    const std::string_view unsigned_part = text[0] == '+' ? text.substr(1) : text;
    double value = 0;
    const auto [end, ec] =
        std::from_chars(unsigned_part.data(), unsigned_part.data() + unsigned_part.size(), value);
    if (ec == std::errc::result_out_of_range) {
        return unsigned_part[0] == '-' ? -std::numeric_limits<double>::infinity()
                                       : std::numeric_limits<double>::infinity();
    }
    if (ec != std::errc{} || end != unsigned_part.data() + unsigned_part.size()) {
        fail("invalid value " + quoted(text));
    }
    return value;
}

void check_timestamp(std::string_view text) {
    std::int64_t ms = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        fail("invalid timestamp " + quoted(text));
    }
}

std::optional<metric_type> parse_type(std::string_view word) {
    if (word == "counter") return metric_type::counter;
    if (word == "gauge") return metric_type::gauge;
    if (word == "histogram") return metric_type::histogram;
    if (word == "summary") return metric_type::summary;
    if (word == "untyped") return metric_type::untyped;
    return std::nullopt;
}

// The HELP docstring: \\ and \n are the only escapes.
std::string unescape_help(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
        } else if (i + 1 < text.size() && text[i + 1] == '\\') {
            out += '\\';
            ++i;
        } else if (i + 1 < text.size() && text[i + 1] == 'n') {
            out += '\n';
            ++i;
        } else {
            fail("invalid escape in HELP text");
        }
    }
    return out;
}

}  // namespace

//------------------------------------------------------------------------------
// The parser

class exposition_parser {
public:
    std::variant<exposition, parse_error> run(std::string_view text) {
        std::size_t line_number = 0;
        try {
            std::size_t start = 0;
            while (start < text.size()) {
                ++line_number;
                const std::size_t end = text.find('\n', start);
                if (end == std::string_view::npos) fail("the last line has no newline");
                parse_line(text.substr(start, end - start), line_number);
                start = end + 1;
            }
            check_histograms();
        } catch (const bad_text& error) {
            return parse_error{error.line != 0 ? error.line : line_number, error.message};
        }
        return std::move(result_);
    }

private:
    struct bucket {
        double le;
        double count;
        std::size_t line;
    };
    // One histogram series: its buckets in the order given, _count and _sum.
    struct histogram_group {
        std::vector<bucket> buckets;
        std::optional<double> count;
        std::optional<double> sum;
        std::size_t last_line = 0;
    };

    void parse_line(std::string_view line, std::size_t number) {
        line_reader in(line);
        in.skip_blanks();
        if (in.at_end()) return;  // blank lines are allowed
        if (in.peek() == '#') {
            in.advance();
            parse_comment(in);
        } else {
            parse_sample(in, number);
        }
    }

    // # HELP name text, # TYPE name type, or any other comment (ignored).
    void parse_comment(line_reader& in) {
        in.skip_blanks();
        const std::string_view keyword = in.token();
        if (keyword != "HELP" && keyword != "TYPE") return;
        if (!in.skip_blanks()) fail("expected a metric name after " + std::string(keyword));
        const std::string name(in.metric_name());
        if (!in.at_end() && !is_blank(in.peek())) fail("invalid metric name in " + quoted(keyword));
        enter_family(name);
        if (sampled_.contains(name)) {
            fail(std::string(keyword) + " for " + quoted(name) + " after its samples");
        }
        metric_family& family = result_.families_[name];
        if (keyword == "HELP") {
            if (family.help) fail("second HELP for " + quoted(name));
            if (in.skip_blanks() || in.at_end()) family.help = unescape_help(in.rest());
            return;
        }
        if (typed_.contains(name)) fail("second TYPE for " + quoted(name));
        in.skip_blanks();
        const std::string_view word = in.token();
        in.skip_blanks();
        const auto type = parse_type(word);
        if (!type || !in.at_end()) fail("invalid TYPE " + quoted(word) + " for " + quoted(name));
        family.type = *type;
        typed_.insert(name);
    }

    // name{labels} value [timestamp]
    void parse_sample(line_reader& in, std::size_t number) {
        series_head head = read_series_head(in);
        if (!in.skip_blanks()) fail("expected a blank before the value of " + quoted(head.name));
        const double value = parse_float(in.token());
        if (in.skip_blanks() && !in.at_end()) {
            check_timestamp(in.token());
            in.skip_blanks();
        }
        if (!in.at_end()) fail("unexpected text after the value: " + quoted(in.rest()));

        const std::string family = family_of(head);
        enter_family(family);
        sampled_.insert(family);
        const metric_type type = result_.families_[family].type;
        if (type == metric_type::histogram) add_histogram_sample(family, head, value, number);
        if (type == metric_type::summary && head.name == family && !head.find("quantile")) {
            fail("summary sample " + quoted(head.name) + " without a quantile label");
        }
        if (!result_.series_.emplace(canonical(head), value).second) {
            fail("duplicate series " + canonical(head));
        }
    }

    // A histogram's samples belong to the family named without the suffix; any other sample
    // to the family of its own name (untyped when nothing declared it).
    std::string family_of(const series_head& head) {
        for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
            if (!head.name.ends_with(suffix)) continue;
            std::string base = head.name.substr(0, head.name.size() - suffix.size());
            const auto found = result_.families_.find(base);
            if (found == result_.families_.end()) continue;
            if (found->second.type == metric_type::histogram) return base;
            if (found->second.type == metric_type::summary && suffix != "_bucket") return base;
        }
        const auto found = result_.families_.find(head.name);
        if (found != result_.families_.end() && found->second.type == metric_type::histogram) {
            fail("histogram " + quoted(head.name) +
                 " has a sample without _bucket, _sum or _count");
        }
        result_.families_.try_emplace(head.name);
        return head.name;
    }

    // All lines of a family are one group: once another family's line came, it may not resume.
    void enter_family(const std::string& family) {
        if (family == current_) return;
        if (finished_.contains(family)) {
            fail("the lines of " + quoted(family) + " are not one group");
        }
        if (!current_.empty()) finished_.insert(current_);
        current_ = family;
    }

    void add_histogram_sample(const std::string& family, const series_head& head, double value,
                              std::size_t number) {
        const std::string suffix = head.name.substr(family.size());
        const std::string* le = head.find("le");
        if (suffix != "_bucket" && le != nullptr) fail(quoted(head.name) + " has an le label");
        series_head group_head = head;
        group_head.name = family;
        histogram_group& group = histograms_[canonical(group_head, "le")];
        group.last_line = number;
        if (suffix == "_sum") {
            group.sum = value;
        } else if (suffix == "_count") {
            group.count = value;
        } else {
            if (le == nullptr) fail(quoted(head.name) + " without an le label");
            const double bound = parse_float(*le);
            if (!group.buckets.empty() && !(bound > group.buckets.back().le)) {
                fail("bucket le=" + quoted(*le) + " does not follow a smaller le");
            }
            if (std::isnan(value)) fail("bucket le=" + quoted(*le) + " has the value NaN");
            if (!group.buckets.empty() && value < group.buckets.back().count) {
                fail("bucket le=" + quoted(*le) +
                     " holds less than the one before: not cumulative");
            }
            group.buckets.push_back({bound, value, number});
        }
    }

    void check_histograms() const {
        for (const auto& [series, group] : histograms_) {
            if (group.buckets.empty() || !std::isinf(group.buckets.back().le)) {
                fail(series + " has no le=\"+Inf\" bucket", group.last_line);
            }
            if (!group.count) fail(series + " has no _count", group.last_line);
            if (!group.sum) fail(series + " has no _sum", group.last_line);
            if (*group.count != group.buckets.back().count) {
                fail(series + ": _count differs from the le=\"+Inf\" bucket", group.last_line);
            }
        }
    }

    exposition result_;
    std::set<std::string, std::less<>> typed_;     // families with a TYPE line
    std::set<std::string, std::less<>> sampled_;   // families with a sample
    std::set<std::string, std::less<>> finished_;  // families another family's line followed
    std::string current_;
    std::map<std::string, histogram_group> histograms_;
};

std::variant<exposition, parse_error> parse_prometheus_text(std::string_view text) {
    return exposition_parser{}.run(text);
}

std::ostream& operator<<(std::ostream& out, const parse_error& error) {
    return out << "line " << error.line << ": " << error.message;
}

//------------------------------------------------------------------------------
// Lookups

std::optional<double> exposition::find(std::string_view series) const {
    line_reader in(series);
    std::string key;
    try {
        key = canonical(read_series_head(in));
    } catch (const bad_text& error) {
        throw std::invalid_argument("not a series: " + std::string(series) + ": " + error.message);
    }
    if (!in.at_end()) throw std::invalid_argument("not a series: " + std::string(series));
    const auto found = series_.find(key);
    if (found == series_.end()) return std::nullopt;
    return found->second;
}

double exposition::value(std::string_view series) const {
    if (auto found = find(series)) return *found;
    throw std::out_of_range("no series " + std::string(series));
}

}  // namespace progressd::testing
