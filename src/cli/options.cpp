#include "cli/options.hpp"

#include "cli/dotenv.hpp"

#include <CLI/CLI.hpp>

#include <array>
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

parse_outcome failure(std::string message) { return {std::nullopt, 2, std::move(message)}; }

// Fills the URL and tokens of the REST store from KV_REST_API_*; the reason when it cannot.
std::optional<std::string> complete_kv_rest(const resolver& sources, store::store_spec& spec) {
    const auto url = sources.get("KV_REST_API_URL");
    const auto token = sources.get("KV_REST_API_TOKEN");
    if (!url || url->empty())
        return "the kv-rest store needs KV_REST_API_URL (and KV_REST_API_TOKEN)";
    // The original's "local Redis" recipe points KV_REST_API_URL at Redis itself, which speaks
    // RESP, not HTTP; say what works instead of failing obscurely later.
    if (url->starts_with("redis://") || url->starts_with("rediss://")) {
        return "KV_REST_API_URL=" + *url + " is a Redis URL, not a REST one: use --store " + *url +
               " (or REDIS_URL) instead";
    }
    if (!token || token->empty()) return "the kv-rest store needs KV_REST_API_TOKEN";
    spec.location = *url;
    spec.token = *token;
    spec.read_only_token = sources.get("KV_REST_API_READ_ONLY_TOKEN").value_or("");
    return std::nullopt;
}

}  // namespace

env_lookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        if (const char* v = std::getenv(name.c_str())) return std::string(v);
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
    std::optional<std::string> env_file;

    CLI::App app{"progressd: a live progress tracker for setup scripts", "progressd"};
    app.set_version_flag("--version", std::string("progressd ") + PROGRESSD_VERSION);
    const auto add = [&](setting& s, const std::string& help) {
        app.add_option(s.flag, s.value, help + " (env " + s.env + ")");
    };
    add(host, "address to listen on [127.0.0.1]");
    add(port, "TCP port, 0 for any free one [3000]");
    add(store,
        "sqlite:PATH, memory:, redis://[user:password@]host:port[/db] or kv-rest: "
        "[sqlite:./data/progress.db]");
    add(ttl, "seconds that progress and logs live after their last write [3600]");
    add(threads, "I/O threads [number of cores]");
    add(max_body, "largest accepted request body in bytes [65536]");
    add(log_level, "trace, debug, info, warn, error or off [info]");
    add(durability,
        "normal (survives a crash of the process) or fsync (survives power loss) [normal]");
    add(connect_timeout, "milliseconds to connect to Redis or the REST store [2000]");
    add(command_timeout, "milliseconds a Redis or REST command may take [2000]");
    add(max_watchers, "live event streams this instance serves at once [10000]");
    add(max_watchers_per_ip, "live event streams one client IP may hold [50]");
    add(heartbeat, "milliseconds between keep-alive comments on idle event streams [15000]");
    app.add_option("--env-file", env_file, "read this file instead of .env and .env.local");

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
    for (setting* s :
         {&host, &port, &store, &ttl, &threads, &max_body, &log_level, &durability,
          &connect_timeout, &command_timeout, &max_watchers, &max_watchers_per_ip, &heartbeat}) {
        s->given = app.count(s->flag) > 0;
    }

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
        c.store_text = store.value;
    }
    if (c.store.backend == store::store_spec::kind::kv_rest) {
        if (auto why = complete_kv_rest(sources, c.store)) return failure(*why);
        c.store_text = "kv-rest:" + c.store.location;
    }
    for (setting* timeout : {&connect_timeout, &command_timeout}) {
        if (!sources.resolve(*timeout)) continue;
        auto v = to_integer<long>(timeout->value, 10, 600000);
        if (!v)
            return failure("invalid timeout '" + timeout->value + "' from " +
                           origin(*timeout, timeout->given) +
                           ": use a number of milliseconds from 10 to 600000");
        (timeout == &connect_timeout ? c.connect_timeout : c.command_timeout) =
            std::chrono::milliseconds(*v);
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
        auto v = to_integer<std::size_t>(max_body.value, 1024, 64 * 1024 * 1024);
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
    return {c, 0, {}};
}

}  // namespace progressd::cli
