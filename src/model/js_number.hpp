// Numbers printed the way JavaScript's Number.prototype.toString prints them, so that what a
// script sent comes back as the original app would have returned it (3 stays 3, 1e21 is 1e+21).
#pragma once

#include <string>

namespace progressd::model {

/// Appends `value` to `out` as ECMAScript's Number::toString(value) does: the shortest digits
/// that round-trip, in plain notation for exponents in [-7, 21), exponent notation otherwise.
/// `-0` prints as `0`. Precondition: `value` is finite (JSON has no NaN or Infinity).
/// Example: append_js_number(out, 1.5) appends "1.5"; append_js_number(out, 1e-7) "1e-7".
void append_js_number(std::string& out, double value);

}  // namespace progressd::model
