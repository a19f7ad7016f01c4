#include "model/text_encoding.hpp"

#include <gtest/gtest.h>

namespace progressd::model {
namespace {

TEST(text_encoding_test, valid_utf8_without_charset_is_used_as_is) {
    EXPECT_FALSE(to_utf8_text("{\"a\":\"\xC3\xA9\"}", "application/json").has_value());
    EXPECT_FALSE(to_utf8_text("plain ascii", "").has_value());
}

TEST(text_encoding_test, latin1_body_without_charset_is_read_as_windows_1252) {
    // "échouée" as Windows PowerShell 5.1 sends it, plus the euro sign from the 0x80 block.
    const auto text = to_utf8_text(
        "\xE9"
        "chou\xE9"
        "e \x80",
        "application/json");
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(*text,
              "\xC3\xA9"
              "chou\xC3\xA9"
              "e \xE2\x82\xAC");
}

TEST(text_encoding_test, declared_utf8_replaces_invalid_bytes_with_u_fffd) {
    const auto text = to_utf8_text("a\xE9z", "application/json; charset=utf-8");
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(*text, "a\xEF\xBF\xBDz");
    // A truncated 3-byte sequence is one replacement (WHATWG maximal subpart), not two.
    EXPECT_EQ(*to_utf8_text("a\xE2\x82z", "application/json;charset=\"UTF-8\""), "a\xEF\xBF\xBDz");
}

TEST(text_encoding_test, declared_latin1_is_decoded_even_when_it_looks_like_utf8) {
    EXPECT_EQ(*to_utf8_text("\xC3\xA9", "application/json; charset=ISO-8859-1"),
              "\xC3\x83\xC2\xA9");
}

TEST(text_encoding_test, utf8_validation_rejects_overlongs_surrogates_and_out_of_range) {
    EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80 and \xE2\x82\xAC and 12345678"));
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // U+D800
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("12345678\xE2\x82"));  // truncated after the ASCII fast path
}

}  // namespace
}  // namespace progressd::model
