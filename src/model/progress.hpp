// The data a setup script reports, exactly as the original app's Zod schemas define it. A newcomer
// reads this file first: every other layer moves these types between JSON, a store and the wire.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace progressd::model {

enum class tool_state { pending, installing, success, error, skipped };
enum class phase { phase1, phase2 };

/// A Zod `z.string().nullable().optional()`: the outer optional says whether the key was sent,
/// the inner one whether its value was a string or `null`. Scripts send `"version": null` while a
/// tool installs, and that null must come back as null, so the two cases stay distinct.
using optional_nullable_string = std::optional<std::optional<std::string>>;

struct tool_status {
    tool_state status = tool_state::pending;
    optional_nullable_string version;
    optional_nullable_string error;
};

struct progress_error {
    std::string tool;
    std::string error;
    std::string suggested_fix;
};

/// A `z.record(z.string(), ...)` keeps JavaScript's own-key order: integer-like keys first in
/// ascending order, then the others as they were inserted. `validate_progress` produces it.
using tool_status_map = std::vector<std::pair<std::string, tool_status>>;

/// ProgressData: one snapshot of a setup run. Numbers are doubles because they are JavaScript
/// numbers on both ends; `currentStep: 3` and `3.0` are the same value and print as `3`.
struct progress {
    std::string session_id;
    double current_step = 0;
    std::vector<double> completed_steps;
    std::string current_action;
    tool_status_map tool_status;
    std::vector<progress_error> errors;
    std::string timestamp;
    model::phase phase = phase::phase1;
    bool complete = false;
    /// progressd's extension (not in the original schema): how many steps the run has, so a
    /// page can say "step 3 of 7". Returned only when a script sent it.
    std::optional<double> total_steps;
};

/// ErrorLogEntry: one line of a session's error log, appended with POST /log.
struct log_entry {
    std::string tool;
    std::string error;
    std::string suggested_fix;
    std::string timestamp;
    double step = 0;
};

}  // namespace progressd::model
