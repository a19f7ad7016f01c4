#include "model/js_number.hpp"

#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace progressd::model {

void append_js_number(std::string& out, double value) {
    assert(std::isfinite(value));
    if (value == 0) {  // both +0 and -0
        out += '0';
        return;
    }
    if (value < 0) {
        out += '-';
        value = -value;
    }
    // Shortest round-trip digits in scientific form, "d.ddde+XX": the same digit string that
    // ECMAScript's algorithm picks (both are "the shortest representation that round-trips").
    std::array<char, 32> buffer{};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                         std::chars_format::scientific);
    assert(ec == std::errc{});
    const std::string_view text(buffer.data(), static_cast<std::size_t>(end - buffer.data()));

    const auto e_pos = text.find('e');
    std::string digits;
    digits.reserve(17);
    for (const char c : text.substr(0, e_pos)) {
        if (c != '.') digits += c;
    }
    // n is ECMAScript's exponent: the value is 0.digits × 10^n.
    const int n = std::atoi(text.data() + e_pos + 1) + 1;
    const int k = static_cast<int>(digits.size());

    if (k <= n && n <= 21) {
        out += digits;
        out.append(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out.append(digits, 0, static_cast<std::size_t>(n));
        out += '.';
        out.append(digits, static_cast<std::size_t>(n));
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out += digits;
    } else {
        out += digits[0];
        if (k > 1) {
            out += '.';
            out.append(digits, 1);
        }
        out += 'e';
        out += (n - 1 < 0) ? '-' : '+';
        out += std::to_string(std::abs(n - 1));
    }
}

}  // namespace progressd::model
