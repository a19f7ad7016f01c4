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

    std::string token;      ///< --token / PROGRESSD_TOKEN: a bearer token, may be empty
    std::string write_key;  ///< --write-key: the session's key (server --session-keys)
    std::string key_file;   ///< --key-file: where the session's key is kept between sends
};

/// Sends `options` to session `id` and prints a one-line summary, e.g.
/// "step 2/5: Installing Git (1 tool, no errors)". The progress fields go in one PATCH (JSON
/// Merge Patch). Each --error is appended to the session's error log with one POST .../log,
/// which the server appends atomically in every store, so two scripts reporting errors at
/// once never lose one (the progress's own `errors` array is replaced whole by a merge patch,
/// so appending to it would be a read-modify-write that loses concurrent errors).
///
/// Write keys: the key is --write-key, else the content of --key-file when that file exists.
/// Without one, a key the server hands over on the first write is saved to --key-file
/// (created with mode 0600); with no --key-file a note on `err` says it was not kept. No token
/// or key is ever printed.
///
/// Returns 0 on success, 1 when the server refuses or cannot be reached (the reason goes to
/// `err`), 2 for options it cannot understand, or none at all.
int run_send(const std::string& base_url, const std::string& id, const send_options& options,
             std::ostream& out, std::ostream& err);

}  // namespace progressd::cli
