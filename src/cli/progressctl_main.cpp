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

int run(int argc, char** argv) {
    CLI::App app{"progressctl: checks a deployment of the progress API", "progressctl"};
    app.set_version_flag("--version", std::string("progressctl ") + PROGRESSD_VERSION);
    app.require_subcommand(1);

    std::string base_url;
    auto* check = app.add_subcommand(
        "check", "run the smoke flow (store, read, update, log, unknown session) against BASE_URL");
    check->add_option("BASE_URL", base_url, "where the API is served, e.g. http://127.0.0.1:3000")
        ->required();

    std::string id;
    send_options send;
    auto* send_command = app.add_subcommand(
        "send", "report one progress update of session ID (a PATCH), for shell scripts");
    send_command->add_option("BASE_URL", base_url, "where the API is served")->required();
    send_command->add_option("ID", id, "the session id")->required();
    send_command->add_option("--step", send.step, "the current step number");
    send_command->add_option("--total", send.total, "how many steps the run has");
    send_command->add_option("--action", send.action, "what the script is doing now");
    send_command->add_option("--tool", send.tools,
                             "NAME=STATUS[:VERSION], e.g. git=success:2.43.0");
    send_command->add_option("--error", send.errors, "TOOL:MESSAGE:FIX, an error with its fix");
    send_command->add_flag("--complete", send.complete, "the run is finished");

    auto* watch_command = app.add_subcommand(
        "watch",
        "follow session ID live until it completes (exit 0), completes with errors "
        "(exit 2), or expires or cannot be followed (exit 1)");
    watch_command->add_option("BASE_URL", base_url, "where the API is served")->required();
    watch_command->add_option("ID", id, "the session id")->required();

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
        progressd::cli::watch_options options;
        options.tty = isatty(STDOUT_FILENO) != 0;
        return progressd::cli::run_watch(base_url, id, options, std::cout);
    }
    try {
        return progressd::cli::run_smoke_check(base_url, std::cout);
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
