// progressd's command line and environment → one immutable config. Precedence, highest first:
// flags, the process environment, .env.local, .env, defaults (the Next.js order for env files).
// Nothing reads the environment after this.
#pragma once

#include "store/store_spec.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace progressd::cli {

struct config {
    std::string host = "127.0.0.1";
    unsigned short port = 3000;
    store::store_spec store{store::store_spec::kind::sqlite, "./data/progress.db", {}, {}};
    std::chrono::seconds ttl{3600};
    unsigned threads = 1;
    std::size_t max_body_bytes = std::size_t{64} * 1024;
    std::string log_level = "info";
    bool fsync = false;
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds command_timeout{2000};
    std::size_t max_watchers = 10000;
    std::size_t max_watchers_per_client = 50;
    std::chrono::milliseconds heartbeat{15000};
    std::chrono::milliseconds idle_timeout{60000};    ///< keep-alive connections with no request
    std::chrono::milliseconds header_timeout{10000};  ///< first byte to the end of the headers

    // Access control (docs/security.md). Empty lists leave that kind of access open.
    std::vector<std::string> write_tokens;  ///< POST, PATCH, DELETE need one (or an admin token)
    std::vector<std::string> read_tokens;   ///< GET and event streams need one (or a write token)
    std::vector<std::string> admin_tokens;  ///< the admin API and /metrics need one
    bool session_keys = false;              ///< per-session write keys

    // Abuse limits: token buckets per client address (IPv6: per /64) and per session; a rate of
    // 0 turns that limit off (api::rate_limits, docs/security.md).
    double write_rate = 200;    ///< writes per second per client
    double write_burst = 1000;  ///< writes at once after a quiet spell
    double read_rate = 200;
    double read_burst = 1000;
    double session_write_rate = 10;  ///< writes per second per client and session
    double session_write_burst = 30;
    double new_session_rate = 2;  ///< new session ids per second per client
    double new_session_burst = 200;
    std::vector<std::string> trusted_proxies;  ///< CIDRs whose X-Forwarded-For is believed
    std::vector<std::string> cors_origins{"*"};
    std::uint64_t max_log_entries = 1000;
    std::size_t max_tools = 200;
    std::size_t max_completed_steps = 1000;
    std::uint64_t max_sessions = 1000000;                       ///< embedded stores
    std::uint64_t max_log_bytes = std::uint64_t{1} << 20;       ///< of one error log's JSON text
    std::uint64_t max_progress_bytes = std::uint64_t{1} << 20;  ///< of one progress JSON text
    std::size_t max_connections = 25000;
    bool max_connections_given = false;  ///< set by a flag or variable, not the default

    bool json_log = false;  ///< access log as JSON lines
    std::string tls_cert;   ///< PEM files; both set → the listener speaks HTTPS only
    std::string tls_key;
};

/// What parse_options decided: run with `config`, or exit at once with `exit_code` after
/// printing `message` (help and version to stdout, errors to stderr as one line).
struct parse_outcome {
    std::optional<cli::config> config;
    int exit_code = 0;
    std::string message;
};

/// Reads a variable of the process environment; injectable so tests need not touch the real one.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

env_lookup process_environment();

/// Parses `args` (without the program name). Env files are read from `working_dir`:
/// `.env` and `.env.local`, or only the file named by --env-file (relative to `working_dir`).
parse_outcome parse_options(const std::vector<std::string>& args, const env_lookup& environment,
                            const std::string& working_dir, unsigned hardware_threads);

}  // namespace progressd::cli
