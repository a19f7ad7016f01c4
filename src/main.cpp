// progressd: wiring only. Options → store → API → HTTP server; run until SIGTERM; close the store.
#include "api/admin_api.hpp"
#include "api/gateway.hpp"
#include "api/progress_api.hpp"
#include "cli/options.hpp"
#include "cli/startup.hpp"
#include "http/server.hpp"
#include "live/hub.hpp"
#include "live/redis_bridge.hpp"
#include "live/store_poller.hpp"
#include "metrics/registry.hpp"
#include "store/instrumented_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include "store/store_spec.hpp"
#include "util/clock.hpp"
#include "util/log.hpp"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

// Each watcher holds a connection; a soft limit of 1,024 descriptors (a common default) would cap
// them far below --max-watchers, so raise it to the hard limit the system allows.
// Returns the open-file limit the process ends up with.
static std::uint64_t raise_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return RLIM_INFINITY;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

// One line for an operator who put an open server on the network by accident.
static void warn_if_open(const progressd::cli::config& config) {
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(config.host, ec);
    const bool loopback = config.host == "localhost" || (!ec && address.is_loopback());
    if (loopback || !config.write_tokens.empty()) return;
    spdlog::warn(
        "listening on {} with no --write-token: anyone who can reach this address can write "
        "progress{}",
        config.host, config.read_tokens.empty() ? " and read every session they can name" : "");
}

int main(int argc, char** argv) {
    using namespace progressd;
    const std::vector<std::string> args(argv + 1, argv + argc);
    const auto outcome = cli::parse_options(args, cli::process_environment(),
                                            std::filesystem::current_path().string(),
                                            std::thread::hardware_concurrency());
    if (!outcome.config) {
        (outcome.exit_code == 0 ? std::cout : std::cerr)
            << (outcome.exit_code == 0 ? "" : "progressd: ") << outcome.message << "\n";
        return outcome.exit_code;
    }
    const cli::config& config = *outcome.config;
    configure_logging(config.log_level, config.json_log);
    const std::uint64_t open_file_limit = raise_descriptor_limit();

    try {
        system_clock clock;
        const store::open_options store_options{config.fsync,           config.connect_timeout,
                                                config.command_timeout, config.max_log_entries,
                                                config.max_sessions,    config.max_log_bytes};
        cli::check_sqlite_directory(config.store);
        metrics::registry metrics(std::string(store::backend_label(config.store.backend)), clock);
        auto store = std::make_unique<store::instrumented_store>(
            store::open_store(config.store, store_options, clock), metrics);
        live::hub hub({config.max_watchers, config.max_watchers_per_client});
        api::api_options api_options;
        api_options.ttl = config.ttl;
        api_options.heartbeat = config.heartbeat;
        api_options.quotas.max_tools = config.max_tools;
        api_options.quotas.max_completed_steps = config.max_completed_steps;
        api_options.max_log_entries = config.max_log_entries;
        api_options.max_log_bytes = config.max_log_bytes;
        api_options.max_progress_bytes = config.max_progress_bytes;
        api_options.session_keys = config.session_keys;
        api::progress_api progress(*store, hub, clock, metrics, api_options);
        api::write_meter writes;
        // The server exists only further down; the metrics ask it for its connection count.
        http::server* listening = nullptr;
        api::admin_options admin_options;
        admin_options.store_name = store::backend_label(config.store.backend);
        admin_options.open_connections = [&listening] {
            return listening != nullptr ? listening->connection_count() : std::size_t{0};
        };
        api::admin_api admin(*store, hub, writes, metrics, std::move(admin_options));
        api::gateway api(
            progress, admin, writes, metrics,
            api::access_policy({config.read_tokens, config.write_tokens, config.admin_tokens}),
            {config.write_rate, config.write_burst, config.read_rate, config.read_burst,
             config.session_write_rate, config.session_write_burst, config.new_session_rate,
             config.new_session_burst});
        warn_if_open(config);
        // The REST store cannot tell this instance about writes made on others: poll instead.
        live::store_poller poller(*store, hub, std::chrono::seconds(1));
        http::limits limits;
        limits.max_body_bytes = config.max_body_bytes;
        limits.max_connections = http::connections_within(config.max_connections, open_file_limit);
        if (auto warning =
                cli::connection_limit_warning(limits.max_connections, config.max_connections,
                                              config.max_connections_given, open_file_limit)) {
            spdlog::warn("{}", *warning);
        }
        limits.idle_timeout = config.idle_timeout;
        limits.header_timeout = config.header_timeout;
        const http::session_policy policy{http::cors_policy(config.cors_origins),
                                          http::trusted_proxies(config.trusted_proxies), &metrics,
                                          config.json_log};
        // HTTPS when both files are given; SIGHUP loads them again, for new connections.
        std::optional<http::tls_context> tls;
        if (!config.tls_cert.empty()) tls.emplace(config.tls_cert, config.tls_key);
        http::server server({config.host, config.port, config.threads, tls ? &*tls : nullptr},
                            limits, api, policy);
        listening = &server;
        server.on_shutdown([&hub] { hub.close_all(); });
        if (tls) {
            server.on_reload([&tls] {
                if (tls->reload()) {
                    spdlog::info("reloaded TLS certificate from {}", tls->cert_path());
                }
            });
        }
        // With Redis, writes made on other instances reach this instance's watchers too.
        std::optional<live::redis_bridge> bridge;
        if (config.store.backend == store::store_spec::kind::redis) {
            bridge.emplace(hub, config.store.location, store_options);
        }
        if (config.store.backend == store::store_spec::kind::kv_rest) {
            boost::asio::co_spawn(server.get_executor(), poller.run(), boost::asio::detached);
        }

        const auto endpoint = server.local_endpoint();
        spdlog::info(
            "progressd {} listening on {}://{}:{} with store {} (ttl {}s, {} threads, at most {} "
            "connections)",
            PROGRESSD_VERSION, tls ? "https" : "http", endpoint.address().to_string(),
            endpoint.port(), cli::describe_store(config.store), config.ttl.count(), config.threads,
            limits.max_connections);
        flush_logs();
        server.run();
        store->close();
        spdlog::info("stopped");
        spdlog::shutdown();
        return 0;
    } catch (const std::exception& e) {
        // One line for one error, after whatever the log still buffers: the same text as a log
        // line and again on stderr read as two failures.
        flush_logs();
        std::cerr << "progressd: " << e.what() << "\n";
        return 1;
    }
}
