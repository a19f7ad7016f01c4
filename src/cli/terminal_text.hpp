// Text that came from a server, made safe to print on a terminal: a server (or anyone who can
// write a session) must not be able to move the cursor, clear the screen, retitle the window or
// reorder what the reader sees.
#pragma once

#include <string>
#include <string_view>

namespace progressd::cli {

/// `text` with every C0 control (U+0000–U+001F, newline and tab included), DEL, C1 control
/// (U+0080–U+009F) and bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069)
/// replaced by U+FFFD, and every byte that is not part of valid UTF-8 replaced the same way.
/// Example: printable("a\x1b[2Jb") == "a\uFFFD[2Jb".
std::string printable(std::string_view text);

}  // namespace progressd::cli
