#include "cli/dotenv.hpp"

namespace progressd::cli {
namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

bool is_key(std::string_view key) {
    if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
    for (const char c : key) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string unquote_double(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            const char next = s[++i];
            out += next == 'n' ? '\n' : next == 'r' ? '\r' : next == 't' ? '\t' : next;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string parse_value(std::string_view raw) {
    const std::string_view v = trim(raw);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'' || v.front() == '`')) {
        const auto close = v.find(v.front(), 1);
        if (close != std::string_view::npos) {
            const auto inner = v.substr(1, close - 1);
            return v.front() == '"' ? unquote_double(inner) : std::string(inner);
        }
    }
    // Unquoted: a " #" starts a comment.
    const auto comment = v.find(" #");
    return std::string(trim(v.substr(0, comment)));
}

}  // namespace

env_entries parse_dotenv(std::string_view text) {
    env_entries entries;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = trim(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (line.empty() || line[0] == '#') continue;
        if (line.substr(0, 7) == "export ") line = trim(line.substr(7));
        const auto equals = line.find('=');
        if (equals == std::string_view::npos) continue;
        const auto key = trim(line.substr(0, equals));
        if (!is_key(key)) continue;
        entries.emplace_back(std::string(key), parse_value(line.substr(equals + 1)));
    }
    return entries;
}

}  // namespace progressd::cli
