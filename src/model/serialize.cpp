#include "model/serialize.hpp"

#include "model/js_number.hpp"
#include "model/json_text.hpp"

#include <array>

namespace progressd::model {
namespace {

constexpr std::array<std::string_view, 5> tool_state_json = {
    R"("pending")", R"("installing")", R"("success")", R"("error")", R"("skipped")"};

void append_optional_nullable(std::string& out, std::string_view key,
                              const optional_nullable_string& value) {
    if (!value) return;
    out += ",\"";
    out += key;
    out += "\":";
    if (*value) {
        append_json_string(out, **value);
    } else {
        out += "null";
    }
}

void append_tool_status(std::string& out, const tool_status& t) {
    out += R"({"status":)";
    out += tool_state_json[static_cast<std::size_t>(t.status)];
    append_optional_nullable(out, "version", t.version);
    append_optional_nullable(out, "error", t.error);
    out += '}';
}

// `{"tool":…,"error":…,"suggestedFix":…` without the closing brace: the start that
// ProgressError and ErrorLogEntry share.
void append_error_fields(std::string& out, std::string_view tool, std::string_view error,
                         std::string_view suggested_fix) {
    out += R"({"tool":)";
    append_json_string(out, tool);
    out += R"(,"error":)";
    append_json_string(out, error);
    out += R"(,"suggestedFix":)";
    append_json_string(out, suggested_fix);
}

void append_progress_error(std::string& out, const progress_error& e) {
    append_error_fields(out, e.tool, e.error, e.suggested_fix);
    out += '}';
}

}  // namespace

std::string to_json(const progress& p) {
    std::string out;
    out.reserve(256 + p.current_action.size() + 96 * p.tool_status.size() + 160 * p.errors.size());
    out += R"({"sessionId":)";
    append_json_string(out, p.session_id);
    out += R"(,"currentStep":)";
    append_js_number(out, p.current_step);
    out += R"(,"completedSteps":[)";
    for (std::size_t i = 0; i < p.completed_steps.size(); ++i) {
        if (i > 0) out += ',';
        append_js_number(out, p.completed_steps[i]);
    }
    out += R"(],"currentAction":)";
    append_json_string(out, p.current_action);
    out += R"(,"toolStatus":{)";
    for (std::size_t i = 0; i < p.tool_status.size(); ++i) {
        if (i > 0) out += ',';
        append_json_string(out, p.tool_status[i].first);
        out += ':';
        append_tool_status(out, p.tool_status[i].second);
    }
    out += R"(},"errors":[)";
    for (std::size_t i = 0; i < p.errors.size(); ++i) {
        if (i > 0) out += ',';
        append_progress_error(out, p.errors[i]);
    }
    out += R"(],"timestamp":)";
    append_json_string(out, p.timestamp);
    out += p.phase == phase::phase1 ? R"(,"phase":"phase1")" : R"(,"phase":"phase2")";
    out += p.complete ? R"(,"complete":true)" : R"(,"complete":false)";
    if (p.total_steps) {
        out += R"(,"totalSteps":)";
        append_js_number(out, *p.total_steps);
    }
    out += '}';
    return out;
}

std::string to_json(const log_entry& e) {
    std::string out;
    out.reserve(96 + e.tool.size() + e.error.size() + e.suggested_fix.size());
    append_error_fields(out, e.tool, e.error, e.suggested_fix);
    out += R"(,"timestamp":)";
    append_json_string(out, e.timestamp);
    out += R"(,"step":)";
    append_js_number(out, e.step);
    out += '}';
    return out;
}

}  // namespace progressd::model
