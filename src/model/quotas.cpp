#include "model/quotas.hpp"

namespace progressd::model {
namespace {

class quota_checker {
public:
    explicit quota_checker(issue_list& issues) : issues_(issues) {}

    void text(std::string_view value, std::size_t maximum, std::vector<path_segment> path) {
        // Bytes bound code units from above: most strings need no counting.
        if (value.size() > maximum && utf16_length(value) > maximum) {
            too_big("string", maximum, std::move(path));
        }
    }

    void count(std::size_t size, std::size_t maximum, std::string_view origin,
               std::vector<path_segment> path) {
        if (size > maximum) too_big(origin, maximum, std::move(path));
    }

private:
    void too_big(std::string_view origin, std::size_t maximum, std::vector<path_segment> path) {
        if (!issues_.has_room()) {
            ++issues_.omitted;
            return;
        }
        issue i;
        i.code = issue::code_kind::too_big;
        i.origin = origin;
        i.maximum = maximum;
        i.path = std::move(path);
        issues_.push_back(std::move(i));
    }

    issue_list& issues_;
};

}  // namespace

std::size_t utf16_length(std::string_view text) {
    std::size_t units = 0;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte & 0xC0) != 0x80) ++units;  // a lead byte starts one code point
        if (byte >= 0xF0) ++units;           // beyond the BMP: a surrogate pair
    }
    return units;
}

issue_list check_quotas(const progress& p, const quota_limits& limits) {
    issue_list issues;
    quota_checker check(issues);
    check.count(p.completed_steps.size(), limits.max_completed_steps, "array",
                {std::string("completedSteps")});
    check.text(p.current_action, limits.max_action_length, {std::string("currentAction")});
    check.count(p.tool_status.size(), limits.max_tools, "object", {std::string("toolStatus")});
    if (p.tool_status.size() <= limits.max_tools) {
        for (const auto& [name, status] : p.tool_status) {
            check.text(name, limits.max_name_length, {std::string("toolStatus"), name});
            if (status.version && *status.version) {
                check.text(**status.version, limits.max_name_length,
                           {std::string("toolStatus"), name, std::string("version")});
            }
            if (status.error && *status.error) {
                check.text(**status.error, limits.max_text_length,
                           {std::string("toolStatus"), name, std::string("error")});
            }
        }
    }
    check.count(p.errors.size(), limits.max_errors, "array", {std::string("errors")});
    if (p.errors.size() <= limits.max_errors) {
        for (std::size_t i = 0; i < p.errors.size(); ++i) {
            const auto& e = p.errors[i];
            check.text(e.tool, limits.max_name_length, {std::string("errors"), i, "tool"});
            check.text(e.error, limits.max_text_length, {std::string("errors"), i, "error"});
            check.text(e.suggested_fix, limits.max_text_length,
                       {std::string("errors"), i, "suggestedFix"});
        }
    }
    check.text(p.timestamp, limits.max_timestamp_length, {std::string("timestamp")});
    return issues;
}

issue_list check_quotas(const log_entry& e, const quota_limits& limits) {
    issue_list issues;
    quota_checker check(issues);
    check.text(e.tool, limits.max_name_length, {std::string("tool")});
    check.text(e.error, limits.max_text_length, {std::string("error")});
    check.text(e.suggested_fix, limits.max_text_length, {std::string("suggestedFix")});
    check.text(e.timestamp, limits.max_timestamp_length, {std::string("timestamp")});
    return issues;
}

}  // namespace progressd::model
