// progressctl: a command line for a running progress API: `check` (the smoke flow), `send` (one
// update from a shell script), `watch` (follow a session live). Exit codes: 0 success, 1 a
// failure, 2 bad usage (one line on stderr); `watch` uses 2 for "completed with errors".
#include "cli/send.hpp"
#include "cli/smoke_check.hpp"
#include "cli/watch.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

namespace {

using progressd::cli::send_options;

constexpr const char* description =
    "progressctl: reports and follows the progress of setup scripts on a progressd server (or "
    "any deployment of the original progress API), and checks that a deployment works.";

constexpr const char* footer =
    R"help(BASE_URL is http://HOST[:PORT][/PREFIX]; HOST:PORT alone means http.

Environment:
  PROGRESSD_TOKEN   the bearer token for --token (a read token for watch, a write token for
                    send, both for check); the token is never printed

Exit status: 0 success; 1 a failure (refused, unreachable, expired); 2 bad usage, or for
watch a run that completed with errors.

Examples:
  progressctl check 127.0.0.1:3000
  progressctl send 127.0.0.1:3000 "$SESSION" --step 2 --total 7 --action "Installing Git"
  progressctl send 127.0.0.1:3000 "$SESSION" --key-file .progress-key --tool git=success:2.43.0
  progressctl send 127.0.0.1:3000 "$SESSION" --error "git:exit code 1:Run as administrator"
  progressctl watch 127.0.0.1:3000 "$SESSION"

Run `progressctl COMMAND --help` for the options of each command.)help";

// --token (env PROGRESSD_TOKEN) on `command`.
void add_token(CLI::App& command, std::string& token, const char* needed_for) {
    command
        .add_option("--token", token,
                    std::string("bearer token the server needs for ") + needed_for +
                        " (--read-token, --write-token)")
        ->type_name("TOKEN")
        ->envname("PROGRESSD_TOKEN");
}

void add_base_url(CLI::App& command, std::string& base_url) {
    command
        .add_option("BASE_URL", base_url,
                    "where the API is served: http://HOST:PORT[/PREFIX], or HOST:PORT")
        ->type_name("")
        ->required();
}

CLI::App* add_send(CLI::App& app, std::string& base_url, std::string& id, send_options& send) {
    auto* c = app.add_subcommand(
        "send",
        "report one update of session ID from a shell script: the progress fields as one PATCH, "
        "each --error appended to the session's error log; prints a one-line summary");
    add_base_url(*c, base_url);
    c->add_option("ID", id, "the session id")->type_name("")->required();
    c->add_option("--step", send.step, "the current step number (currentStep)")
        ->type_name("N")
        ->group("Progress");
    c->add_option("--total", send.total, "how many steps the run has (totalSteps)")
        ->type_name("N")
        ->group("Progress");
    c->add_option("--action", send.action, "what the script is doing now (currentAction)")
        ->type_name("TEXT")
        ->group("Progress");
    c->add_option("--tool", send.tools,
                  "a tool's status, repeatable: STATUS is pending, installing, success, error "
                  "or skipped; e.g. git=success:2.43.0")
        ->type_name("NAME=STATUS[:VERSION]")
        ->group("Progress");
    c->add_option("--error", send.errors,
                  "append an error and its fix to the session's error log, repeatable; the "
                  "message may contain colons")
        ->type_name("TOOL:MESSAGE:FIX")
        ->group("Progress");
    c->add_flag("--complete", send.complete, "the run is finished")->group("Progress");
    add_token(*c, send.token, "writes");
    auto* key = c->add_option("--write-key", send.write_key,
                              "the session's write key (server --session-keys), sent as "
                              "X-Write-Key")
                    ->type_name("KEY");
    c->add_option("--key-file", send.key_file,
                  "keeps the session's write key between sends: read when the file exists, "
                  "else created (mode 0600) with the key the first write returns")
        ->type_name("FILE")
        ->excludes(key);
    return c;
}

int run(int argc, char** argv) {
    CLI::App app{description, "progressctl"};
    app.set_version_flag("--version", std::string("progressctl ") + PROGRESSD_VERSION);
    app.require_subcommand(1);

    std::string base_url;
    std::string check_token;
    auto* check = app.add_subcommand(
        "check",
        "run the smoke flow against BASE_URL under a fresh session: store, read back, update, "
        "append to the error log, read it, and an unknown session; one line per step");
    add_base_url(*check, base_url);
    add_token(*check, check_token, "reads and writes");

    std::string id;
    send_options send;
    auto* send_command = add_send(app, base_url, id, send);

    progressd::cli::watch_options watch;
    auto* watch_command = app.add_subcommand(
        "watch",
        "follow session ID live until it completes (exit 0), completes with errors (exit 2), "
        "or expires or cannot be followed (exit 1); a live view on a terminal, one line per "
        "change otherwise");
    add_base_url(*watch_command, base_url);
    watch_command->add_option("ID", id, "the session id")->type_name("")->required();
    add_token(*watch_command, watch.token, "reads");
    // Set last: a subcommand inherits the footer set before it is added, and would repeat it.
    app.footer(footer);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::CallForVersion&) {
        std::cout << app.version() << '\n';
        return 0;
    } catch (const CLI::ParseError& e) {
        std::cerr << "progressctl: " << e.what() << " (see progressctl --help)\n";
        return 2;
    }

    if (*send_command) return progressd::cli::run_send(base_url, id, send, std::cout, std::cerr);
    if (*watch_command) {
        watch.tty = isatty(STDOUT_FILENO) != 0;
        return progressd::cli::run_watch(base_url, id, watch, std::cout);
    }
    try {
        return progressd::cli::run_smoke_check(base_url, std::cout, check_token);
    } catch (const std::invalid_argument& e) {
        std::cerr << "progressctl: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "progressctl: " << e.what() << '\n';
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {  // setting up the command line itself failed
        std::cerr << "progressctl: " << e.what() << '\n';
        return 1;
    }
}
