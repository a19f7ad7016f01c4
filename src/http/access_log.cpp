#include "http/access_log.hpp"

#include "model/json_text.hpp"
#include "model/text_encoding.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>

namespace progressd::http {
namespace {

bool plausible_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (const char c : id) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
                        c == '.' || c == ':' || c == '/' || c == '+' || c == '=' || c == '@';
        if (!ok) return false;
    }
    return true;
}

// A JSON string of `text`, which may be any bytes: Beast accepts bytes above 0x7F in a request
// target (obs-text), and a JSON line that is not UTF-8 is no JSON to a log shipper.
void append_json_text(std::string& out, std::string_view text) {
    if (model::is_valid_utf8(text)) {
        model::append_json_string(out, text);
    } else {
        model::append_json_string(out, model::replace_invalid_utf8(text));
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes leniently: a '%' without two hex digits stays as it is, as no name could decode from it.
bool is_secret_name(std::string_view encoded) {
    std::string name;
    name.reserve(encoded.size());
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        char c = encoded[i];
        if (c == '%' && i + 2 < encoded.size() && hex_value(encoded[i + 1]) >= 0 &&
            hex_value(encoded[i + 2]) >= 0) {
            c = static_cast<char>(hex_value(encoded[i + 1]) * 16 + hex_value(encoded[i + 2]));
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return std::find(secret_query_parameters.begin(), secret_query_parameters.end(), name) !=
           secret_query_parameters.end();
}

}  // namespace

std::string redact_secrets(std::string_view target) {
    const auto question = target.find('?');
    if (question == std::string_view::npos) return std::string(target);
    std::string out(target.substr(0, question + 1));
    std::string_view query = target.substr(question + 1);
    for (bool first = true;; first = false) {
        const auto amp = query.find('&');
        const std::string_view param = query.substr(0, amp);
        if (!first) out += '&';
        const auto equals = param.find('=');
        if (equals != std::string_view::npos && is_secret_name(param.substr(0, equals))) {
            out += param.substr(0, equals + 1);
            out += "[redacted]";
        } else {
            out += param;
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return out;
}

std::string request_id_for(std::string_view incoming) {
    if (plausible_id(incoming)) return std::string(incoming);
    // Unguessable is not needed here, unique is: a per-thread generator seeded once.
    thread_local std::mt19937_64 generator(std::random_device{}());
    char id[17];
    std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(generator()));
    return id;
}

std::string format_access(const access_record& r, bool json) {
    const std::string target = redact_secrets(r.target);
    std::string line;
    line.reserve(128 + target.size());
    if (!json) {
        line += r.method;
        line += ' ';
        line += target;
        line += ' ';
        line += std::to_string(r.status);
        if (!r.note.empty()) {
            line += ' ';
            line += r.note;
        } else {
            line += ' ';
            line += std::to_string(r.body_bytes);
            line += "B ";
            line += std::to_string(r.duration.count());
            line += "us";
        }
        line += " client=";
        line += r.client;
        line += " id=";
        line += r.request_id;
        return line;
    }
    line += R"({"type":"access","requestId":)";
    append_json_text(line, r.request_id);
    line += R"(,"client":)";
    append_json_text(line, r.client);
    line += R"(,"method":)";
    append_json_text(line, r.method);
    line += R"(,"target":)";
    append_json_text(line, target);
    line += R"(,"status":)";
    line += std::to_string(r.status);
    line += R"(,"bytes":)";
    line += std::to_string(r.body_bytes);
    line += R"(,"durationUs":)";
    line += std::to_string(r.duration.count());
    if (!r.note.empty()) {
        line += R"(,"note":)";
        append_json_text(line, r.note);
    }
    line += '}';
    return line;
}

}  // namespace progressd::http
