// The test parser of the Prometheus text format (tests/support/prometheus_text): it must accept
// what Prometheus accepts and reject, with the line, each thing it does not.
#include "support/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace progressd::testing {
namespace {

// The example of Prometheus's "Exposition formats" document, with its comments, timestamps,
// escapes, blank lines, a histogram and a summary.
constexpr std::string_view documented_example =
    R"(# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="0.2"} 100392
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="1"} 133988
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.05"} 3272
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.9"} 9001
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
)";

exposition parse_ok(std::string_view text) {
    auto parsed = parse_prometheus_text(text);
    if (auto* error = std::get_if<parse_error>(&parsed)) {
        ADD_FAILURE() << "rejected: " << *error;
        return {};
    }
    return std::get<exposition>(std::move(parsed));
}

// Expects `text` rejected on `line` with a message that contains `words`.
void expect_rejected(std::string_view text, std::size_t line, std::string_view words) {
    auto parsed = parse_prometheus_text(text);
    const auto* error = std::get_if<parse_error>(&parsed);
    ASSERT_NE(error, nullptr) << "accepted:\n" << text;
    EXPECT_EQ(error->line, line) << *error;
    EXPECT_NE(error->message.find(words), std::string::npos) << *error;
}

// A valid histogram to break in one place at a time; `bucket_2` is the le="1" line.
std::string histogram_text(std::string_view bucket_2 = R"(h_bucket{le="1"} 3)",
                           std::string_view count = "h_count 4") {
    return "# TYPE h histogram\n"
           "h_bucket{le=\"0.5\"} 1\n" +
           std::string(bucket_2) + "\nh_bucket{le=\"+Inf\"} 4\nh_sum 2.5\n" + std::string(count) +
           "\n";
}

//------------------------------------------------------------------------------
// Accepted

TEST(prometheus_text_test, accepts_the_documented_example) {
    const exposition e = parse_ok(documented_example);
    EXPECT_EQ(e.value(R"(http_requests_total{code="200",method="post"})"), 1027);
    EXPECT_EQ(e.value(R"(http_requests_total{method="post",code="400"})"), 3);
    EXPECT_EQ(e.value(R"(msdos_file_access_time_seconds{error="Cannot find file:\n\"FILE.TXT\"",)"
                      R"(path="C:\\DIR\\FILE.TXT"})"),
              1.458255915e9);
    EXPECT_EQ(e.value("metric_without_timestamp_and_labels"), 12.47);
    EXPECT_TRUE(std::isinf(e.value(R"(something_weird{problem="division by zero"})")));
    EXPECT_EQ(e.value(R"(http_request_duration_seconds_bucket{le="+Inf"})"), 144320);
    EXPECT_EQ(e.value("http_request_duration_seconds_count"), 144320);
    EXPECT_EQ(e.value("rpc_duration_seconds_sum"), 1.7560473e+07);
    EXPECT_EQ(e.series().size(), 20u);
}

TEST(prometheus_text_test, reports_families_with_their_type_and_help) {
    const exposition e = parse_ok(documented_example);
    EXPECT_EQ(e.families().at("http_requests_total").type, metric_type::counter);
    EXPECT_EQ(e.families().at("http_requests_total").help, "The total number of HTTP requests.");
    EXPECT_EQ(e.families().at("http_request_duration_seconds").type, metric_type::histogram);
    EXPECT_EQ(e.families().at("rpc_duration_seconds").type, metric_type::summary);
    EXPECT_EQ(e.families().at("metric_without_timestamp_and_labels").type, metric_type::untyped);
    EXPECT_FALSE(e.families().at("metric_without_timestamp_and_labels").help.has_value());
    EXPECT_FALSE(e.families().contains("http_request_duration_seconds_bucket"));
}

TEST(prometheus_text_test, accepts_every_float_spelling_of_the_format) {
    const exposition e =
        parse_ok("a 1\nb -3\nc .5\nd 1.\ne 1e-05\nf 2.5E+3\ng +7\nh NaN\ni -Inf\nj +Inf\n");
    EXPECT_EQ(e.value("c"), 0.5);
    EXPECT_EQ(e.value("d"), 1.0);
    EXPECT_EQ(e.value("e"), 1e-05);
    EXPECT_EQ(e.value("f"), 2500);
    EXPECT_EQ(e.value("g"), 7);
    EXPECT_TRUE(std::isnan(e.value("h")));
    EXPECT_EQ(e.value("i"), -std::numeric_limits<double>::infinity());
}

TEST(prometheus_text_test, accepts_blanks_between_tokens_and_a_trailing_comma) {
    const exposition e = parse_ok("m{ a = \"1\" , b=\"2\", } \t 5 \n");
    EXPECT_EQ(e.value(R"(m{a="1",b="2"})"), 5);
}

TEST(prometheus_text_test, accepts_an_empty_exposition) {
    EXPECT_TRUE(parse_ok("").series().empty());
}

TEST(prometheus_text_test, looks_up_a_missing_series_as_absent) {
    const exposition e = parse_ok("m{a=\"1\"} 5\n");
    EXPECT_FALSE(e.find(R"(m{a="2"})").has_value());
    EXPECT_FALSE(e.find("m").has_value());
    EXPECT_THROW(e.value("m"), std::out_of_range);
    EXPECT_THROW(e.value("m{a=1}"), std::invalid_argument);
}

//------------------------------------------------------------------------------
// Rejected: names and labels

TEST(prometheus_text_test, rejects_a_metric_name_outside_the_grammar) {
    expect_rejected("ok 1\n1abc 1\n", 2, "metric name");
    expect_rejected("a-b 1\n", 1, "blank before the value");
    expect_rejected("# TYPE 9x counter\n", 1, "metric name");
    expect_rejected("# TYPE x-y counter\n", 1, "invalid metric name");
}

TEST(prometheus_text_test, rejects_a_label_name_outside_the_grammar) {
    expect_rejected("m{1a=\"x\"} 1\n", 1, "label name");
    expect_rejected("m{a:b=\"x\"} 1\n", 1, "expected =");
    expect_rejected("m{__name__=\"x\"} 1\n", 1, "reserved");
}

TEST(prometheus_text_test, rejects_a_badly_escaped_or_unquoted_label_value) {
    expect_rejected(R"(m{a="x\ty"} 1)"
                    "\n",
                    1, "invalid escape");
    expect_rejected("m{a=\"x} 1\n", 1, "unterminated");
    expect_rejected("m{a=x} 1\n", 1, "quoted value");
    expect_rejected("m{a=\"x\" b=\"y\"} 1\n", 1, "expected , or }");
    expect_rejected("m{a=\"x\"\n", 1, "expected , or }");
}

TEST(prometheus_text_test, rejects_a_label_given_twice) {
    expect_rejected("m{a=\"x\",a=\"y\"} 1\n", 1, "appears twice");
}

//------------------------------------------------------------------------------
// Rejected: HELP and TYPE

TEST(prometheus_text_test, rejects_help_or_type_after_the_samples) {
    expect_rejected("m 1\n# TYPE m counter\n", 2, "after its samples");
    expect_rejected("m 1\n# HELP m text\n", 2, "after its samples");
}

TEST(prometheus_text_test, rejects_a_second_type_or_help) {
    expect_rejected("# TYPE m counter\n# TYPE m counter\nm 1\n", 2, "second TYPE");
    expect_rejected("# HELP m a\n# HELP m b\nm 1\n", 2, "second HELP");
}

TEST(prometheus_text_test, rejects_an_unknown_type) {
    expect_rejected("# TYPE m countr\nm 1\n", 1, "invalid TYPE");
    expect_rejected("# TYPE m counter extra\nm 1\n", 1, "invalid TYPE");
    expect_rejected("# TYPE m\n", 1, "invalid TYPE");
}

TEST(prometheus_text_test, rejects_an_invalid_escape_in_help) {
    expect_rejected("# HELP m a \\t b\n", 1, "escape in HELP");
}

TEST(prometheus_text_test, rejects_a_family_whose_lines_are_not_one_group) {
    expect_rejected("a 1\nb 1\na{x=\"1\"} 2\n", 3, "not one group");
    expect_rejected("# HELP a x\nb 1\n# TYPE a counter\n", 3, "not one group");
}

//------------------------------------------------------------------------------
// Rejected: samples and values

TEST(prometheus_text_test, rejects_the_same_series_twice_whatever_the_label_order) {
    expect_rejected("m{a=\"1\",b=\"2\"} 1\nm{b=\"2\",a=\"1\"} 1\n", 2, "duplicate series");
    expect_rejected("m 1\nm 2\n", 2, "duplicate series");
}

TEST(prometheus_text_test, rejects_values_outside_the_float_grammar) {
    for (const char* value : {"1.2.3", "Infinity", "inf", "+inf", "Inf", "nan", "0x10", "1e", "e5",
                              ".", "-", "1_000", "", "1,5"}) {
        expect_rejected("m " + std::string(value) + "\n", 1, value[0] ? "value" : "");
    }
}

TEST(prometheus_text_test, rejects_a_bad_timestamp_or_text_after_it) {
    expect_rejected("m 1 12.5\n", 1, "invalid timestamp");
    expect_rejected("m 1 123 4\n", 1, "unexpected text");
}

TEST(prometheus_text_test, rejects_text_that_does_not_end_with_a_newline) {
    expect_rejected("a 1\nb 2", 2, "no newline");
}

TEST(prometheus_text_test, rejects_a_carriage_return_before_the_newline) {
    expect_rejected("a 1\r\n", 1, "invalid value");
}

//------------------------------------------------------------------------------
// Rejected: histograms

TEST(prometheus_text_test, accepts_the_valid_histogram_the_next_tests_break) {
    const exposition e = parse_ok(histogram_text());
    EXPECT_EQ(e.value(R"(h_bucket{le="1"})"), 3);
    EXPECT_EQ(e.value("h_count"), 4);
}

TEST(prometheus_text_test, rejects_buckets_that_are_not_cumulative) {
    expect_rejected(histogram_text(R"(h_bucket{le="1"} 0)"), 3, "not cumulative");
}

TEST(prometheus_text_test, rejects_buckets_out_of_le_order) {
    expect_rejected(histogram_text(R"(h_bucket{le="0.1"} 3)"), 3, "does not follow");
}

TEST(prometheus_text_test, rejects_a_bucket_without_a_float_le) {
    expect_rejected(histogram_text(R"(h_bucket 3)"), 3, "without an le");
    expect_rejected(histogram_text(R"(h_bucket{le="big"} 3)"), 3, "invalid value");
    expect_rejected(histogram_text("h 3"), 3, "without _bucket");
}

TEST(prometheus_text_test, rejects_a_count_unlike_the_inf_bucket) {
    expect_rejected(histogram_text(R"(h_bucket{le="1"} 3)", "h_count 5"), 6, "_count differs");
}

TEST(prometheus_text_test, rejects_a_histogram_without_inf_count_or_sum) {
    expect_rejected("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", 4, "+Inf");
    expect_rejected("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n", 3, "no _count");
    expect_rejected("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", 3, "no _sum");
}

TEST(prometheus_text_test, checks_each_labelled_histogram_series_on_its_own) {
    const std::string text =
        "# TYPE h histogram\n"
        "h_bucket{r=\"a\",le=\"1\"} 5\nh_bucket{r=\"a\",le=\"+Inf\"} 5\n"
        "h_sum{r=\"a\"} 1\nh_count{r=\"a\"} 5\n"
        "h_bucket{r=\"b\",le=\"1\"} 1\nh_bucket{r=\"b\",le=\"+Inf\"} 2\n"
        "h_sum{r=\"b\"} 1\nh_count{r=\"b\"} 5\n";
    expect_rejected(text, 9, R"(h{r="b"}: _count differs)");
}

}  // namespace
}  // namespace progressd::testing
