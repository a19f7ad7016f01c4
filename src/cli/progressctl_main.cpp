// progressctl: command-line checks against a running progress API. Exit codes: 0 success,
// 1 a check failed, 2 bad usage (one line on stderr).
#include "cli/smoke_check.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

namespace {

int run(int argc, char** argv) {
    CLI::App app{"progressctl: checks a deployment of the progress API", "progressctl"};
    app.set_version_flag("--version", std::string("progressctl ") + PROGRESSD_VERSION);
    app.require_subcommand(1);

    std::string base_url;
    auto* check = app.add_subcommand(
        "check", "run the smoke flow (store, read, update, log, unknown session) against BASE_URL");
    check->add_option("BASE_URL", base_url, "where the API is served, e.g. http://127.0.0.1:3000")
        ->required();

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
