#include "model/text_encoding.hpp"

#include <boost/beast/http/rfc7230.hpp>

#include <array>
#include <cstdint>

namespace progressd::model {
namespace {

// Windows-1252 bytes 0x80–0x9F as Unicode code points (WHATWG encoding standard). The five
// bytes the code page leaves undefined map to the C1 control with the same value.
constexpr std::array<char32_t, 32> windows_1252_high = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  //
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,  //
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  //
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 when it is not one. When it
// is not, `*maximal_subpart` is set to the number of bytes that the WHATWG decoder replaces with
// one U+FFFD (at least 1), which is also what JSON.parse on a decoded string would have seen.
std::size_t utf8_sequence_length(std::string_view s, std::size_t* maximal_subpart) {
    const auto b0 = static_cast<unsigned char>(s[0]);
    if (b0 < 0x80) return 1;
    std::size_t need = 0;
    unsigned char lower = 0x80;
    unsigned char upper = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        if (b0 == 0xE0) lower = 0xA0;  // overlong
        if (b0 == 0xED) upper = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        if (b0 == 0xF0) lower = 0x90;  // overlong
        if (b0 == 0xF4) upper = 0x8F;  // above U+10FFFF
    } else {
        if (maximal_subpart) *maximal_subpart = 1;
        return 0;
    }
    for (std::size_t i = 1; i <= need; ++i) {
        const auto b = i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
        const bool ok = i < s.size() && b >= lower && b <= upper;
        if (!ok) {
            if (maximal_subpart) *maximal_subpart = i;
            return 0;
        }
        lower = 0x80;
        upper = 0xBF;
    }
    return need + 1;
}

std::string decode_windows_1252(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 4);
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x80) {
            out += c;
        } else if (b < 0xA0) {
            append_utf8(out, windows_1252_high[b - 0x80]);
        } else {
            append_utf8(out, b);  // 0xA0–0xFF are the Latin-1 code points themselves
        }
    }
    return out;
}

}  // namespace

std::string replace_invalid_utf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + 8);
    while (!bytes.empty()) {
        std::size_t bad = 0;
        const std::size_t n = utf8_sequence_length(bytes, &bad);
        if (n > 0) {
            out.append(bytes.substr(0, n));
            bytes.remove_prefix(n);
        } else {
            out += "\xEF\xBF\xBD";  // U+FFFD
            bytes.remove_prefix(bad);
        }
    }
    return out;
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

enum class declared_charset { none, utf8, windows_1252 };

declared_charset charset_of(std::string_view content_type) {
    const auto semicolon = content_type.find(';');
    if (semicolon == std::string_view::npos) return declared_charset::none;
    // Beast parses the `;name=value` list, quoted values included.
    for (const auto& param : boost::beast::http::param_list(content_type.substr(semicolon))) {
        if (!iequals(param.first, "charset")) continue;
        const std::string_view value = param.second;
        if (iequals(value, "utf-8") || iequals(value, "utf8")) return declared_charset::utf8;
        for (const std::string_view label :
             {"windows-1252", "cp1252", "iso-8859-1", "latin1", "us-ascii", "ascii"}) {
            if (iequals(value, label)) return declared_charset::windows_1252;
        }
    }
    return declared_charset::none;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size()) {
        // ASCII fast path, eight bytes at a time.
        if (i + 8 <= bytes.size()) {
            std::uint64_t chunk = 0;
            for (std::size_t j = 0; j < 8; ++j) {
                chunk |= std::uint64_t(static_cast<unsigned char>(bytes[i + j])) << (8 * j);
            }
            if ((chunk & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        const std::size_t n = utf8_sequence_length(bytes.substr(i), nullptr);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

namespace {

// to_utf8_text for a body without a byte order mark.
std::optional<std::string> decode_text(std::string_view body, std::string_view content_type) {
    switch (charset_of(content_type)) {
        case declared_charset::windows_1252:
            return decode_windows_1252(body);
        case declared_charset::utf8:
            if (is_valid_utf8(body)) return std::nullopt;
            return replace_invalid_utf8(body);
        case declared_charset::none:
            break;
    }
    if (is_valid_utf8(body)) return std::nullopt;
    return decode_windows_1252(body);
}

}  // namespace

std::optional<std::string> to_utf8_text(std::string_view body, std::string_view content_type) {
    // A UTF-8 byte order mark (Windows PowerShell 5.1's `Out-File -Encoding utf8` writes one) is
    // dropped whatever the charset says, as fetch's Request.json() in the original app drops it.
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (!body.starts_with(bom)) return decode_text(body, content_type);
    body.remove_prefix(bom.size());
    if (auto text = decode_text(body, content_type)) return text;
    return std::string(body);
}

}  // namespace progressd::model
