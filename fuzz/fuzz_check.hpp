// What the fuzzers share: FUZZ_CHECK, an always-on invariant check that prints what failed and
// traps (libFuzzer then saves the input as a crash), whatever NDEBUG says; and small helpers.
#pragma once

#include "model/json_text.hpp"
#include "model/text_encoding.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

namespace progressd::fuzz {

[[noreturn]] inline void invariant_failed(const char* condition, const char* file, int line,
                                          std::string_view detail) {
    std::fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, condition);
    if (!detail.empty()) {
        std::fprintf(stderr, "  detail: %.*s\n", static_cast<int>(detail.size()), detail.data());
    }
    __builtin_trap();
}

/// True when `text` is one complete JSON document of valid UTF-8 (what JSON.parse accepts).
inline bool is_json(std::string_view text) {
    return model::is_valid_utf8(text) &&
           std::holds_alternative<boost::json::value>(model::parse_json(text));
}

/// The code points of `bytes` when it is well-formed UTF-8 (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF), else nullopt. Written plainly, without the fast paths of
/// model::is_valid_utf8, as the reference the fuzzers compare that function with.
inline std::optional<std::vector<char32_t>> decode_utf8(std::string_view bytes) {
    std::vector<char32_t> out;
    for (std::size_t i = 0; i < bytes.size();) {
        const auto b0 = static_cast<unsigned char>(bytes[i]);
        std::size_t length = 0;
        char32_t cp = 0;
        if (b0 < 0x80) {
            length = 1;
            cp = b0;
        } else if ((b0 & 0xE0) == 0xC0) {
            length = 2;
            cp = b0 & 0x1F;
        } else if ((b0 & 0xF0) == 0xE0) {
            length = 3;
            cp = b0 & 0x0F;
        } else if ((b0 & 0xF8) == 0xF0) {
            length = 4;
            cp = b0 & 0x07;
        } else {
            return std::nullopt;
        }
        if (i + length > bytes.size()) return std::nullopt;
        for (std::size_t k = 1; k < length; ++k) {
            const auto b = static_cast<unsigned char>(bytes[i + k]);
            if ((b & 0xC0) != 0x80) return std::nullopt;
            cp = (cp << 6) | (b & 0x3F);
        }
        constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < smallest[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return std::nullopt;
        }
        out.push_back(cp);
        i += length;
    }
    return out;
}

/// Logging off: the code under test logs warnings that would drown libFuzzer's output.
inline void quiet_logs() { spdlog::set_level(spdlog::level::off); }

}  // namespace progressd::fuzz

#define FUZZ_CHECK(condition) FUZZ_CHECK_MSG(condition, std::string_view())
#define FUZZ_CHECK_MSG(condition, detail)                                                  \
    do {                                                                                   \
        if (!(condition))                                                                  \
            ::progressd::fuzz::invariant_failed(#condition, __FILE__, __LINE__, (detail)); \
    } while (false)
