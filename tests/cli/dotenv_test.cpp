#include "cli/dotenv.hpp"

#include <gtest/gtest.h>

namespace progressd::cli {
namespace {

TEST(dotenv_test, reads_the_file_vercel_env_pull_writes) {
    const auto entries = parse_dotenv(
        "# Created by Vercel CLI\n"
        "KV_REST_API_URL=\"https://example.upstash.io\"\n"
        "KV_REST_API_TOKEN=\"AX\\nY\"\n"
        "export PORT=4000\n"
        "HOST = 0.0.0.0 # listen everywhere\n"
        "QUOTED='a # not a comment'\n"
        "not a line\n"
        "1BAD=x\n");
    const env_entries expected = {{"KV_REST_API_URL", "https://example.upstash.io"},
                                  {"KV_REST_API_TOKEN", "AX\nY"},
                                  {"PORT", "4000"},
                                  {"HOST", "0.0.0.0"},
                                  {"QUOTED", "a # not a comment"}};
    EXPECT_EQ(entries, expected);
}

TEST(dotenv_test, empty_values_and_crlf_line_ends) {
    const auto entries = parse_dotenv("A=\r\nB=\"\"\r\n");
    const env_entries expected = {{"A", ""}, {"B", ""}};
    EXPECT_EQ(entries, expected);
}

}  // namespace
}  // namespace progressd::cli
