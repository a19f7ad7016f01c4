// A strict parser of the Prometheus text exposition format 0.0.4, for tests that read GET
// /metrics: it rejects whatever a Prometheus server would reject or misread, and gives the value
// of each series.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>

namespace progressd::testing {

enum class metric_type { counter, gauge, histogram, summary, untyped };

struct metric_family {
    metric_type type = metric_type::untyped;
    std::optional<std::string> help;  ///< unescaped
};

/// A parsed exposition. A series is written `name{label="value",…}` with the labels sorted by
/// name and values escaped as in the format, or just `name` when it has no labels.
class exposition {
public:
    /// The value of `series`, whose labels may come in any order; std::out_of_range naming the
    /// series when the exposition does not have it.
    /// Example:
    /// value(R"(progressd_http_requests_total{route="progress",method="GET",status="200"})")
    double value(std::string_view series) const;
    std::optional<double> find(std::string_view series) const;

    /// Every series by its canonical name.
    const std::map<std::string, double, std::less<>>& series() const { return series_; }
    /// Every family by name (a histogram's is the name without _bucket, _sum, _count).
    const std::map<std::string, metric_family, std::less<>>& families() const { return families_; }

private:
    friend class exposition_parser;
    std::map<std::string, double, std::less<>> series_;
    std::map<std::string, metric_family, std::less<>> families_;
};

struct parse_error {
    std::size_t line = 0;  ///< 1-based; the line after the last for a missing final newline
    std::string message;
};
std::ostream& operator<<(std::ostream& out, const parse_error& error);

/// Parses `text`; the first rule it breaks, with its line number, otherwise.
std::variant<exposition, parse_error> parse_prometheus_text(std::string_view text);

}  // namespace progressd::testing
