// printable(): what a server may send never becomes a terminal control sequence.
#include "cli/terminal_text.hpp"

#include <gtest/gtest.h>

namespace progressd::cli {
namespace {

const std::string fffd = "\xEF\xBF\xBD";

TEST(terminal_text_test, c0_controls_and_del_are_replaced) {
    EXPECT_EQ(printable("a\x1b[2Jb"), "a" + fffd + "[2Jb");
    EXPECT_EQ(printable("line\nnext\r\t"), "line" + fffd + "next" + fffd + fffd);
    EXPECT_EQ(printable(std::string("nul\0x", 5)), "nul" + fffd + "x");
    EXPECT_EQ(printable("del\x7f"), "del" + fffd);
}

TEST(terminal_text_test, c1_controls_as_utf8_and_as_raw_bytes_are_replaced) {
    EXPECT_EQ(printable("csi\xC2\x9B"
                        "2J"),
              "csi" + fffd + "2J");  // U+009B, 8-bit CSI
    EXPECT_EQ(printable("osc\xC2\x9D"), "osc" + fffd);
    EXPECT_EQ(printable("raw\x9b"
                        "2J"),
              "raw" + fffd + "2J");  // not UTF-8 at all
}

TEST(terminal_text_test, bidi_overrides_and_isolates_are_replaced) {
    EXPECT_EQ(printable("a\xE2\x80\xAE"
                        "b"),
              "a" + fffd + "b");  // U+202E RIGHT-TO-LEFT OVERRIDE
    EXPECT_EQ(printable("a\xE2\x81\xA6"
                        "b"),
              "a" + fffd + "b");  // U+2066 LEFT-TO-RIGHT ISOLATE
}

TEST(terminal_text_test, ordinary_text_in_any_script_is_kept) {
    EXPECT_EQ(printable("git 2.43.0: ✓ café 日本 🙂"), "git 2.43.0: ✓ café 日本 🙂");
    EXPECT_EQ(printable(""), "");
}

TEST(terminal_text_test, overlong_truncated_and_surrogate_sequences_are_replaced) {
    EXPECT_EQ(printable("\xC0\x9B"), fffd + fffd);             // overlong ESC
    EXPECT_EQ(printable("\xE2\x80"), fffd + fffd);             // cut short
    EXPECT_EQ(printable("\xED\xA0\x80"), fffd + fffd + fffd);  // a UTF-16 surrogate
}

}  // namespace
}  // namespace progressd::cli
