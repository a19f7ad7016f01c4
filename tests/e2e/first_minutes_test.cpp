// What a new user sees from the real binaries in the first minutes: one line where progressd
// listens, warnings only about what they asked for, one line per fatal error, no directories
// made behind their back, and a progressctl that takes host:port and says "nothing answers"
// once.
#include "support/server_process.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace progressd::testing {
namespace {

struct shell_result {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

// Runs `command` under /bin/sh and returns its exit code and output.
shell_result shell(const std::string& command) {
    shell_result result;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return result;
    char buffer[4096];
    while (const auto n = fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::size_t count_containing(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (const auto& line : lines_of(text)) n += line.find(needle) != std::string::npos ? 1 : 0;
    return n;
}

// progressd run for two seconds with an open-file limit of 1,024 (below what the default
// --max-connections needs) and then stopped with SIGTERM.
shell_result run_progressd_briefly(const std::string& args) {
    return shell("ulimit -n 1024 && timeout -s TERM 2 " + std::string(PROGRESSD_BINARY) +
                 " --host 127.0.0.1 --port 0 --store memory: " + args);
}

TEST(first_minutes_test, a_default_start_says_one_line_and_warns_about_nothing) {
    const auto run = run_progressd_briefly("");
    EXPECT_EQ(count_containing(run.output, "listening on http://127.0.0.1:"), 1u) << run.output;
    EXPECT_NE(run.output.find("with store memory:"), std::string::npos) << run.output;
    EXPECT_EQ(count_containing(run.output, "warn"), 0u) << run.output;
    EXPECT_EQ(run.output.find("open-file limit"), std::string::npos) << run.output;
}

TEST(first_minutes_test, an_explicit_max_connections_above_the_limit_warns_once) {
    const auto run = run_progressd_briefly("--max-connections 25000");
    EXPECT_EQ(count_containing(run.output, "warn"), 1u) << run.output;
    EXPECT_EQ(count_containing(run.output,
                               "--max-connections 25000 is more than the open-file "
                               "limit (1024) allows: serving at most 896"),
              1u)
        << run.output;
}

TEST(first_minutes_test, a_port_in_use_is_one_error_line) {
    server_process first({"--store", "memory:"});
    const auto run = run_binary(
        {"--host", "127.0.0.1", "--port", std::to_string(first.port()), "--store", "memory:"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(lines_of(run.output),
              std::vector<std::string>{"progressd: cannot listen on 127.0.0.1:" +
                                       std::to_string(first.port()) + ": Address already in use"})
        << run.output;
}

TEST(first_minutes_test, a_missing_sqlite_directory_is_refused_and_not_created) {
    const temp_dir dir;
    const std::string missing = dir.path() + "/nonexistent/dir";
    const auto run = run_binary({"--port", "0", "--store", "sqlite:" + missing + "/x.db"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(lines_of(run.output),
              std::vector<std::string>{"progressd: cannot open database " + missing +
                                       "/x.db: the directory " + missing +
                                       " does not exist (create it first)"})
        << run.output;
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/nonexistent"));
}

TEST(first_minutes_test, progressctl_check_takes_host_and_port_and_says_nothing_answers_once) {
    server_process server({"--store", "memory:"});
    const std::string authority = "127.0.0.1:" + std::to_string(server.port());
    const auto passed = shell(std::string(PROGRESSCTL_BINARY) + " check " + authority);
    EXPECT_EQ(passed.exit_code, 0) << passed.output;
    EXPECT_NE(passed.output.find("6 passed, 0 failed"), std::string::npos) << passed.output;
    server.terminate();
    const auto nothing = shell(std::string(PROGRESSCTL_BINARY) + " check " + authority);
    EXPECT_EQ(nothing.exit_code, 1);
    EXPECT_EQ(count_containing(nothing.output, "nothing answers at " + authority), 1u)
        << nothing.output;
    EXPECT_EQ(count_containing(nothing.output, "✗"), 0u) << nothing.output;
}

TEST(first_minutes_test, progressctl_help_describes_every_command_and_the_token) {
    const auto help = shell(std::string(PROGRESSCTL_BINARY) + " --help");
    EXPECT_EQ(help.exit_code, 0);
    for (const char* shown : {"check", "send", "watch", "PROGRESSD_TOKEN", "HOST:PORT"}) {
        EXPECT_NE(help.output.find(shown), std::string::npos) << shown << "\n" << help.output;
    }
    const auto send = shell(std::string(PROGRESSCTL_BINARY) + " send --help");
    for (const char* shown : {"--token TOKEN", "--write-key KEY", "--key-file FILE", "--step N",
                              "--tool NAME=STATUS[:VERSION]", "--error TOOL:MESSAGE:FIX"}) {
        EXPECT_NE(send.output.find(shown), std::string::npos) << shown << "\n" << send.output;
    }
    EXPECT_EQ(send.output.find("TEXT:"), std::string::npos) << send.output;
}

}  // namespace
}  // namespace progressd::testing
