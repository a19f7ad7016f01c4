#include "cli/options.hpp"

#include "cli/dotenv.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace progressd::cli {
namespace {

// One setting: the flag that sets it, the environment variable that sets it when the flag is
// absent, and the raw text once resolved.
struct setting {
    const char* flag;
    const char* env;
    std::string value;
    bool given = false;
};

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Where a value came from, for error messages that say what to fix.
std::string origin(const setting& s, bool from_flag) {
    return from_flag ? std::string(s.flag) : std::string("environment variable ") + s.env;
}

template <class T>
std::optional<T> to_integer(const std::string& text, T min, T max) {
    T value{};
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || value < min || value > max) return std::nullopt;
    return value;
}

class resolver {
public:
    resolver(const env_lookup& environment, std::map<std::string, std::string> files)
        : environment_(environment), files_(std::move(files)) {}

    // Fills `s.value` from the environment, then the env files, when the flag was not given.
    // Returns whether any source set it.
    bool resolve(setting& s) const {
        if (s.given) return true;
        if (auto v = get(s.env)) {
            s.value = *v;
            return true;
        }
        return false;
    }

    // The variable `name` from the environment, else from the env files.
    std::optional<std::string> get(const std::string& name) const {
        if (auto v = environment_(name)) return v;
        if (auto it = files_.find(name); it != files_.end()) return it->second;
        return std::nullopt;
    }

private:
    const env_lookup& environment_;
    std::map<std::string, std::string> files_;
};

std::map<std::string, std::string> load_env_files(const std::string& working_dir,
                                                  const std::optional<std::string>& env_file,
                                                  std::string* problem) {
    std::map<std::string, std::string> values;
    const auto load = [&](const std::string& name, bool required) {
        const std::string path = name.starts_with('/') ? name : working_dir + "/" + name;
        const auto text = read_file(path);
        if (!text) {
            if (required) *problem = "cannot read env file " + path;
            return;
        }
        for (auto& [key, value] : parse_dotenv(*text)) values[key] = std::move(value);
    };
    if (env_file) {
        load(*env_file, true);
    } else {
        load(".env", false);
        load(".env.local", false);  // later files override earlier ones
    }
    return values;
}

constexpr const char* help_footer =
    R"help(Every option can also be set by the environment variable named after it, or in .env
and .env.local in the working directory; a flag wins over the environment, which wins over
.env.local, which wins over .env.

Examples:
  progressd                                    # http://127.0.0.1:3000, ./data/progress.db
  progressd --host 0.0.0.0 --write-token "$(cat /etc/progressd/token)"
  progressd --store redis://127.0.0.1:6379 --port 8080

Docs: README.md, docs/security.md, docs/storage.md.)help";

parse_outcome failure(std::string message) { return {std::nullopt, 2, std::move(message)}; }

// "a,b, c" → {"a","b","c"}; empty items are dropped.
std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> items;
    while (!text.empty()) {
        const auto comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) items.emplace_back(item);
    }
    return items;
}

std::optional<double> to_rate(const std::string& text) {
    double value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || !(value >= 0) || value > 1e6) return std::nullopt;
    return value;
}

// A token travels in an Authorization header and a URL query: keep it to characters that need
// no escaping in either, and long enough that guessing it is hopeless.
std::optional<std::string> token_problem(const std::string& token) {
    if (token.size() < 16) return "is shorter than 16 characters";
    for (const char c : token) {
        const bool plain = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' ||
                           c == '_' || c == '.' || c == '~';
        if (!plain) return "may hold only letters, digits and - _ . ~";
    }
    return std::nullopt;
}

// "1.2.3.0/24" or a single address; IPv6 too.
bool is_network(const std::string& text) {
    boost::system::error_code ec;
    if (text.find('/') == std::string::npos) {
        boost::asio::ip::make_address(text, ec);
        return !ec;
    }
    if (text.find(':') != std::string::npos) {
        boost::asio::ip::make_network_v6(text, ec);
    } else {
        boost::asio::ip::make_network_v4(text, ec);
    }
    return !ec;
}

// Fills the URL and tokens of the REST store from KV_REST_API_*; the reason when it cannot.
std::optional<std::string> complete_kv_rest(const resolver& sources, store::store_spec& spec) {
    const auto url = sources.get("KV_REST_API_URL");
    const auto token = sources.get("KV_REST_API_TOKEN");
    if (!url || url->empty())
        return "the kv-rest store needs KV_REST_API_URL (and KV_REST_API_TOKEN)";
    // The original's "local Redis" recipe points KV_REST_API_URL at Redis itself, which speaks
    // RESP, not HTTP; say what works instead of failing obscurely later.
    if (url->starts_with("redis://") || url->starts_with("rediss://")) {
        const std::string shown = store::redact_password(*url);
        return "KV_REST_API_URL=" + shown + " is a Redis URL, not a REST one: use --store " +
               shown + " (or REDIS_URL) instead";
    }
    if (!token || token->empty()) return "the kv-rest store needs KV_REST_API_TOKEN";
    spec.location = *url;
    spec.token = *token;
    spec.read_only_token = sources.get("KV_REST_API_READ_ONLY_TOKEN").value_or("");
    return std::nullopt;
}

// The settings of access control, abuse limits, logging and TLS (docs/security.md).
struct security_settings {
    setting write_token{"--write-token", "PROGRESSD_WRITE_TOKEN", {}};
    setting read_token{"--read-token", "PROGRESSD_READ_TOKEN", {}};
    setting admin_token{"--admin-token", "PROGRESSD_ADMIN_TOKEN", {}};
    setting session_keys{"--session-keys", "PROGRESSD_SESSION_KEYS", {}};
    setting write_rate{"--write-rate", "PROGRESSD_WRITE_RATE", {}};
    setting write_burst{"--write-burst", "PROGRESSD_WRITE_BURST", {}};
    setting read_rate{"--read-rate", "PROGRESSD_READ_RATE", {}};
    setting read_burst{"--read-burst", "PROGRESSD_READ_BURST", {}};
    setting session_write_rate{"--session-write-rate", "PROGRESSD_SESSION_WRITE_RATE", {}};
    setting session_write_burst{"--session-write-burst", "PROGRESSD_SESSION_WRITE_BURST", {}};
    setting new_session_rate{"--new-session-rate", "PROGRESSD_NEW_SESSION_RATE", {}};
    setting new_session_burst{"--new-session-burst", "PROGRESSD_NEW_SESSION_BURST", {}};
    setting trust_proxy{"--trust-proxy", "PROGRESSD_TRUST_PROXY", {}};
    setting cors_origin{"--cors-origin", "PROGRESSD_CORS_ORIGIN", {}};
    setting max_log_entries{"--max-log-entries", "PROGRESSD_MAX_LOG_ENTRIES", {}};
    setting max_tools{"--max-tools", "PROGRESSD_MAX_TOOLS", {}};
    setting max_completed_steps{"--max-completed-steps", "PROGRESSD_MAX_COMPLETED_STEPS", {}};
    setting max_sessions{"--max-sessions", "PROGRESSD_MAX_SESSIONS", {}};
    setting max_log_bytes{"--max-log-bytes", "PROGRESSD_MAX_LOG_BYTES", {}};
    setting max_progress_bytes{"--max-progress-bytes", "PROGRESSD_MAX_PROGRESS_BYTES", {}};
    setting max_connections{"--max-connections", "PROGRESSD_MAX_CONNECTIONS", {}};
    setting log_format{"--log-format", "PROGRESSD_LOG_FORMAT", {}};
    setting tls_cert{"--tls-cert", "PROGRESSD_TLS_CERT", {}};
    setting tls_key{"--tls-key", "PROGRESSD_TLS_KEY", {}};
};

std::optional<std::string> resolve_security(const resolver& sources, security_settings& sec,
                                            config& c) {
    for (auto [s, tokens] :
         {std::pair{&sec.write_token, &c.write_tokens}, std::pair{&sec.read_token, &c.read_tokens},
          std::pair{&sec.admin_token, &c.admin_tokens}}) {
        if (!sources.resolve(*s)) continue;
        *tokens = split_list(s->value);
        for (const auto& token : *tokens) {
            if (auto why = token_problem(token)) {
                return "a token from " + origin(*s, s->given) + " " + *why;
            }
        }
    }
    if (sources.resolve(sec.session_keys)) {
        const auto& v = sec.session_keys.value;
        if (v != "1" && v != "0" && v != "true" && v != "false") {
            return "invalid value '" + v + "' from " +
                   origin(sec.session_keys, sec.session_keys.given) + ": use 1 or 0";
        }
        c.session_keys = v == "1" || v == "true";
    }
    for (auto [s, target] :
         {std::pair{&sec.write_rate, &c.write_rate}, std::pair{&sec.write_burst, &c.write_burst},
          std::pair{&sec.read_rate, &c.read_rate}, std::pair{&sec.read_burst, &c.read_burst},
          std::pair{&sec.session_write_rate, &c.session_write_rate},
          std::pair{&sec.session_write_burst, &c.session_write_burst},
          std::pair{&sec.new_session_rate, &c.new_session_rate},
          std::pair{&sec.new_session_burst, &c.new_session_burst}}) {
        if (!sources.resolve(*s)) continue;
        auto v = to_rate(s->value);
        if (!v)
            return "invalid rate '" + s->value + "' from " + origin(*s, s->given) +
                   ": use a number from 0 to 1000000";
        *target = *v;
    }
    for (auto [rate, burst] :
         {std::pair{c.write_rate, c.write_burst}, std::pair{c.read_rate, c.read_burst},
          std::pair{c.session_write_rate, c.session_write_burst},
          std::pair{c.new_session_rate, c.new_session_burst}}) {
        if (rate > 0 && burst < 1) return "a burst must be at least 1 when its rate is set";
    }
    if (sources.resolve(sec.trust_proxy)) {
        c.trusted_proxies = split_list(sec.trust_proxy.value);
        for (const auto& network : c.trusted_proxies) {
            if (!is_network(network)) {
                return "invalid proxy network '" + network + "' from " +
                       origin(sec.trust_proxy, sec.trust_proxy.given) +
                       ": use an address or CIDR such as 10.0.0.0/8";
            }
        }
    }
    if (sources.resolve(sec.cors_origin)) {
        c.cors_origins = split_list(sec.cors_origin.value);
        if (c.cors_origins.empty()) {
            return "empty " + origin(sec.cors_origin, sec.cors_origin.given) +
                   ": give * or origins such as https://example.com";
        }
    }
    const auto count_of = [&](setting& s, std::uint64_t min, std::uint64_t max,
                              std::uint64_t& out) -> std::optional<std::string> {
        if (!sources.resolve(s)) return std::nullopt;
        auto v = to_integer<std::uint64_t>(s.value, min, max);
        if (!v)
            return "invalid limit '" + s.value + "' from " + origin(s, s.given) +
                   ": use a number from " + std::to_string(min) + " to " + std::to_string(max);
        out = *v;
        return std::nullopt;
    };
    std::uint64_t max_tools = c.max_tools;
    std::uint64_t max_steps = c.max_completed_steps;
    std::uint64_t max_connections = c.max_connections;
    for (auto problem : {count_of(sec.max_log_entries, 1, 1000000, c.max_log_entries),
                         count_of(sec.max_tools, 1, 100000, max_tools),
                         count_of(sec.max_completed_steps, 1, 100000, max_steps),
                         count_of(sec.max_sessions, 1, 1000000000, c.max_sessions),
                         count_of(sec.max_log_bytes, 1024, 1 << 30, c.max_log_bytes),
                         count_of(sec.max_progress_bytes, 1024, 1 << 30, c.max_progress_bytes),
                         count_of(sec.max_connections, 1, 10000000, max_connections)}) {
        if (problem) return problem;
    }
    c.max_tools = max_tools;
    c.max_completed_steps = max_steps;
    c.max_connections = max_connections;
    c.max_connections_given = sources.resolve(sec.max_connections);
    if (sources.resolve(sec.log_format)) {
        if (sec.log_format.value != "text" && sec.log_format.value != "json") {
            return "invalid log format '" + sec.log_format.value + "' from " +
                   origin(sec.log_format, sec.log_format.given) + ": use text or json";
        }
        c.json_log = sec.log_format.value == "json";
    }
    if (sources.resolve(sec.tls_cert)) c.tls_cert = sec.tls_cert.value;
    if (sources.resolve(sec.tls_key)) c.tls_key = sec.tls_key.value;
    if (c.tls_cert.empty() != c.tls_key.empty()) {
        return "--tls-cert and --tls-key go together: give both or neither";
    }
    return std::nullopt;
}
}  // namespace

env_lookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        // Read at startup only, and nothing in progressd calls setenv.
        if (const char* v = std::getenv(name.c_str())) {  // NOLINT(concurrency-mt-unsafe)
            return std::string(v);
        }
        return std::nullopt;
    };
}

parse_outcome parse_options(const std::vector<std::string>& args, const env_lookup& environment,
                            const std::string& working_dir, unsigned hardware_threads) {
    setting host{"--host", "HOST", {}};
    setting port{"--port", "PORT", {}};
    setting store{"--store", "PROGRESSD_STORE", {}};
    setting ttl{"--ttl", "PROGRESSD_TTL", {}};
    setting threads{"--threads", "PROGRESSD_THREADS", {}};
    setting max_body{"--max-body", "PROGRESSD_MAX_BODY", {}};
    setting log_level{"--log-level", "PROGRESSD_LOG_LEVEL", {}};
    setting durability{"--durability", "PROGRESSD_DURABILITY", {}};
    setting connect_timeout{"--connect-timeout", "PROGRESSD_CONNECT_TIMEOUT", {}};
    setting command_timeout{"--command-timeout", "PROGRESSD_COMMAND_TIMEOUT", {}};
    setting max_watchers{"--max-watchers", "PROGRESSD_MAX_WATCHERS", {}};
    setting heartbeat{"--heartbeat", "PROGRESSD_HEARTBEAT", {}};
    setting max_watchers_per_ip{"--max-watchers-per-ip", "PROGRESSD_MAX_WATCHERS_PER_IP", {}};
    setting idle_timeout{"--idle-timeout", "PROGRESSD_IDLE_TIMEOUT", {}};
    setting header_timeout{"--header-timeout", "PROGRESSD_HEADER_TIMEOUT", {}};
    security_settings sec;
    std::optional<std::string> env_file;

    CLI::App app{
        "progressd: a live progress tracker for setup scripts. Scripts report their "
        "progress over HTTP; people follow it live on a web page or with progressctl.",
        "progressd"};
    app.set_version_flag("--version", std::string("progressd ") + PROGRESSD_VERSION);
    app.footer(help_footer);
    // One line of help: what the value means, its default, and the variable that also sets it.
    const auto add = [&](setting& s, const char* group, const char* value_name,
                         const std::string& help) {
        return app.add_option(s.flag, s.value, help + " (env " + s.env + ")")
            ->group(group)
            ->type_name(value_name);
    };
    constexpr const char* listening = "Listening";
    constexpr const char* storing = "Store";
    constexpr const char* limiting = "Limits";
    constexpr const char* securing = "Security";
    constexpr const char* live = "Live updates";
    constexpr const char* logging = "Logging";
    add(host, listening, "ADDRESS", "address to listen on, 0.0.0.0 for all; default 127.0.0.1");
    add(port, listening, "PORT", "TCP port, 0 for any free one; default 3000");
    add(threads, listening, "N", "I/O threads; default the number of cores");
    add(sec.tls_cert, listening, "FILE",
        "PEM certificate chain: serve HTTPS only (reloaded on SIGHUP); default none");
    add(sec.tls_key, listening, "FILE", "PEM private key of --tls-cert; default none");
    add(store, storing, "SPEC",
        "sqlite:PATH, memory:, redis://[USER:PASSWORD@]HOST:PORT[/DB] or kv-rest: (URL and "
        "token from KV_REST_API_URL, KV_REST_API_TOKEN); default sqlite:./data/progress.db, "
        "or REDIS_URL or KV_REST_API_* when set");
    add(ttl, storing, "SECONDS",
        "how long progress and logs live after their last write; default 3600");
    add(durability, storing, "normal|fsync",
        "normal: an answered write survives a crash of the process; fsync: also a power loss; "
        "default normal");
    add(connect_timeout, storing, "MS",
        "milliseconds to connect to Redis or the REST store; default 2000");
    add(command_timeout, storing, "MS",
        "milliseconds a Redis or REST command may take; default 2000");
    add(max_body, limiting, "BYTES", "largest accepted request body; default 65536");
    add(sec.max_connections, limiting, "N",
        "open connections, at most the open-file limit allows; more are answered 503 and "
        "closed; default 25000");
    add(idle_timeout, limiting, "MS",
        "milliseconds a keep-alive connection may wait for its next request; default 60000");
    add(header_timeout, limiting, "MS",
        "milliseconds a request may take to send its headers; default 10000");
    add(sec.write_rate, limiting, "N",
        "writes per second per client address (IPv6: per /64), 0 for no limit; default 200");
    add(sec.write_burst, limiting, "N", "writes at once per client address; default 1000");
    add(sec.read_rate, limiting, "N",
        "reads per second per client address, 0 for no limit; default 200");
    add(sec.read_burst, limiting, "N", "reads at once per client address; default 1000");
    add(sec.session_write_rate, limiting, "N",
        "writes per second to one session from one client, 0 for no limit; default 10");
    add(sec.session_write_burst, limiting, "N",
        "writes at once to one session from one client; default 30");
    add(sec.new_session_rate, limiting, "N",
        "session ids per second one client may start writing to, 0 for no limit; default 2");
    add(sec.new_session_burst, limiting, "N",
        "session ids one client may start at once; default 200");
    add(sec.max_log_entries, limiting, "N", "error log entries per session; default 1000");
    add(sec.max_tools, limiting, "N", "tools per progress; default 200");
    add(sec.max_completed_steps, limiting, "N", "completed steps per progress; default 1000");
    add(sec.max_sessions, limiting, "N",
        "sessions the SQLite or memory store holds; default 1000000");
    add(sec.max_log_bytes, limiting, "BYTES", "bytes of one session's error log; default 1048576");
    add(sec.max_progress_bytes, limiting, "BYTES",
        "bytes of one session's progress; default 1048576");
    add(sec.write_token, securing, "TOKEN[,TOKEN...]",
        "bearer tokens that POST, PATCH and DELETE need; default none (open)");
    add(sec.read_token, securing, "TOKEN[,TOKEN...]",
        "tokens that GET and event streams need, also as ?token=; default none (open)");
    add(sec.admin_token, securing, "TOKEN[,TOKEN...]",
        "tokens for the admin API and /metrics; default none (admin API off)");
    app.add_option(sec.session_keys.flag, sec.session_keys.value,
                   "give each session a write key on its first write, which later writes must "
                   "send as X-Write-Key; a bare --session-keys means 1; default 0 (env "
                   "PROGRESSD_SESSION_KEYS)")
        ->expected(0, 1)
        ->group(securing)
        ->type_name("[1|0]");
    add(sec.trust_proxy, securing, "CIDR[,CIDR...]",
        "proxies whose X-Forwarded-For and Forwarded headers name the client; default none");
    add(sec.cors_origin, securing, "ORIGIN[,ORIGIN...]",
        "origins allowed to call the API from a browser; default *");
    add(max_watchers, live, "N", "live event streams this instance serves at once; default 10000");
    add(max_watchers_per_ip, live, "N", "live event streams one client may hold; default 50");
    add(heartbeat, live, "MS",
        "milliseconds between keep-alive comments on idle event streams; default 15000");
    add(log_level, logging, "LEVEL", "trace, debug, info, warn, error or off; default info");
    add(sec.log_format, logging, "text|json",
        "text, or json for one JSON object per line; default text");
    app.add_option("--env-file", env_file,
                   "read this file instead of .env and .env.local in the working directory")
        ->group("Configuration")
        ->type_name("FILE");

    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        return {std::nullopt, 0, app.help()};
    } catch (const CLI::CallForVersion&) {
        return {std::nullopt, 0, app.version()};
    } catch (const CLI::ParseError& e) {
        return failure(std::string(e.what()) + " (see progressd --help)");
    }
    for (setting* s : {&host,
                       &port,
                       &store,
                       &ttl,
                       &threads,
                       &max_body,
                       &log_level,
                       &durability,
                       &connect_timeout,
                       &command_timeout,
                       &max_watchers,
                       &max_watchers_per_ip,
                       &heartbeat,
                       &idle_timeout,
                       &header_timeout,
                       &sec.write_token,
                       &sec.read_token,
                       &sec.admin_token,
                       &sec.session_keys,
                       &sec.write_rate,
                       &sec.write_burst,
                       &sec.read_rate,
                       &sec.read_burst,
                       &sec.session_write_rate,
                       &sec.session_write_burst,
                       &sec.new_session_rate,
                       &sec.new_session_burst,
                       &sec.trust_proxy,
                       &sec.cors_origin,
                       &sec.max_log_entries,
                       &sec.max_tools,
                       &sec.max_completed_steps,
                       &sec.max_sessions,
                       &sec.max_log_bytes,
                       &sec.max_progress_bytes,
                       &sec.max_connections,
                       &sec.log_format,
                       &sec.tls_cert,
                       &sec.tls_key}) {
        s->given = app.count(s->flag) > 0;
    }
    // A bare --session-keys means on.
    if (sec.session_keys.given && sec.session_keys.value.empty()) sec.session_keys.value = "1";

    std::string problem;
    const resolver sources(environment, load_env_files(working_dir, env_file, &problem));
    if (!problem.empty()) return failure(problem);

    config c;
    c.threads = hardware_threads == 0 ? 1 : hardware_threads;
    if (sources.resolve(host)) {
        if (host.value.empty())
            return failure("empty " + origin(host, host.given) +
                           ": give an address such as 127.0.0.1");
        c.host = host.value;
    }
    if (sources.resolve(port)) {
        auto v = to_integer<unsigned>(port.value, 0, 65535);
        if (!v)
            return failure("invalid port '" + port.value + "' from " + origin(port, port.given) +
                           ": use a number from 0 to 65535");
        c.port = static_cast<unsigned short>(*v);
    }
    if (!sources.resolve(store)) {
        // Without --store or PROGRESSD_STORE, the variables of a Redis or Vercel KV setup pick
        // the store, so that a `vercel env pull` .env.local works as it is.
        if (auto redis_url = sources.get("REDIS_URL")) {
            store.value = *redis_url;
        } else if (sources.get("KV_REST_API_URL") && sources.get("KV_REST_API_TOKEN")) {
            store.value = "kv-rest:";
        }
    }
    if (!store.value.empty()) {
        auto spec = store::parse_store_spec(store.value, &problem);
        if (!spec) return failure(problem + " (from " + origin(store, store.given) + ")");
        c.store = *spec;
    }
    if (c.store.backend == store::store_spec::kind::kv_rest) {
        if (auto why = complete_kv_rest(sources, c.store)) return failure(*why);
    }
    for (auto [timeout, target] : {std::pair{&connect_timeout, &c.connect_timeout},
                                   std::pair{&command_timeout, &c.command_timeout},
                                   std::pair{&idle_timeout, &c.idle_timeout},
                                   std::pair{&header_timeout, &c.header_timeout}}) {
        if (!sources.resolve(*timeout)) continue;
        auto v = to_integer<long>(timeout->value, 10, 600000);
        if (!v)
            return failure("invalid timeout '" + timeout->value + "' from " +
                           origin(*timeout, timeout->given) +
                           ": use a number of milliseconds from 10 to 600000");
        *target = std::chrono::milliseconds(*v);
    }
    if (sources.resolve(ttl)) {
        auto v = to_integer<long>(ttl.value, 1, 365L * 24 * 3600);
        if (!v)
            return failure("invalid TTL '" + ttl.value + "' from " + origin(ttl, ttl.given) +
                           ": use a whole number of seconds from 1 to 31536000");
        c.ttl = std::chrono::seconds(*v);
    }
    if (sources.resolve(threads)) {
        auto v = to_integer<unsigned>(threads.value, 1, 256);
        if (!v)
            return failure("invalid thread count '" + threads.value + "' from " +
                           origin(threads, threads.given) + ": use a number from 1 to 256");
        c.threads = *v;
    }
    if (sources.resolve(max_body)) {
        auto v = to_integer<std::size_t>(max_body.value, 1024, std::size_t{64} * 1024 * 1024);
        if (!v)
            return failure("invalid body limit '" + max_body.value + "' from " +
                           origin(max_body, max_body.given) +
                           ": use a number of bytes from 1024 to 67108864");
        c.max_body_bytes = *v;
    }
    if (sources.resolve(log_level)) {
        constexpr std::array<std::string_view, 6> levels = {"trace", "debug", "info",
                                                            "warn",  "error", "off"};
        if (std::find(levels.begin(), levels.end(), log_level.value) == levels.end()) {
            return failure("invalid log level '" + log_level.value + "' from " +
                           origin(log_level, log_level.given) +
                           ": use trace, debug, info, warn, error or off");
        }
        c.log_level = log_level.value;
    }
    if (sources.resolve(durability)) {
        if (durability.value != "normal" && durability.value != "fsync") {
            return failure("invalid durability '" + durability.value + "' from " +
                           origin(durability, durability.given) + ": use normal or fsync");
        }
        c.fsync = durability.value == "fsync";
    }
    if (sources.resolve(heartbeat)) {
        auto v = to_integer<long>(heartbeat.value, 100, 3600000);
        if (!v)
            return failure("invalid heartbeat '" + heartbeat.value + "' from " +
                           origin(heartbeat, heartbeat.given) +
                           ": use a number of milliseconds from 100 to 3600000");
        c.heartbeat = std::chrono::milliseconds(*v);
    }
    for (setting* limit : {&max_watchers, &max_watchers_per_ip}) {
        if (!sources.resolve(*limit)) continue;
        auto v = to_integer<std::size_t>(limit->value, 1, 1000000);
        if (!v)
            return failure("invalid watcher limit '" + limit->value + "' from " +
                           origin(*limit, limit->given) + ": use a number from 1 to 1000000");
        (limit == &max_watchers ? c.max_watchers : c.max_watchers_per_client) = *v;
    }
    if (auto why = resolve_security(sources, sec, c)) return failure(*why);
    return {c, 0, {}};
}

}  // namespace progressd::cli
