// `progressctl send`: one progress update from a shell script, without building JSON by hand.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace progressd::cli {

struct send_options {
    std::optional<double> step;         ///< --step N: currentStep
    std::optional<double> total;        ///< --total N: totalSteps
    std::optional<std::string> action;  ///< --action TEXT: currentAction
    std::vector<std::string> tools;     ///< --tool NAME=STATUS[:VERSION], repeatable
    std::vector<std::string> errors;    ///< --error TOOL:MESSAGE:FIX, repeatable
    bool complete = false;              ///< --complete
};

/// Sends `options` as one PATCH (JSON Merge Patch) of session `id` and prints a one-line
/// summary of the stored result. An --error is added to the session's `errors` (read first,
/// since a merge patch replaces arrays whole) and appended to its error log. Returns 0 on
/// success, 1 when the server refuses or cannot be reached (the reason goes to `err`), 2 for an
/// option it cannot understand.
int run_send(const std::string& base_url, const std::string& id, const send_options& options,
             std::ostream& out, std::ostream& err);

}  // namespace progressd::cli
