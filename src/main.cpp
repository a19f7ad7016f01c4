// progressd: wiring only. Options → store → API → HTTP server; run until SIGTERM; close the store.
#include "api/progress_api.hpp"
#include "cli/options.hpp"
#include "http/server.hpp"
#include "live/hub.hpp"
#include "live/redis_bridge.hpp"
#include "live/store_poller.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
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
static void raise_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
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
    configure_logging(config.log_level);
    raise_descriptor_limit();

    try {
        system_clock clock;
        const store::open_options store_options{config.fsync, config.connect_timeout,
                                                config.command_timeout};
        auto store = store::open_store(config.store, store_options, clock);
        live::hub hub({config.max_watchers, config.max_watchers_per_client});
        api::progress_api api(*store, hub, clock, {config.ttl, config.heartbeat});
        // The REST store cannot tell this instance about writes made on others: poll instead.
        live::store_poller poller(*store, hub, std::chrono::seconds(1));
        http::limits limits;
        limits.max_body_bytes = config.max_body_bytes;
        http::server server({config.host, config.port, config.threads}, limits, api);
        server.on_shutdown([&hub] { hub.close_all(); });
        // With Redis, writes made on other instances reach this instance's watchers too.
        std::optional<live::redis_bridge> bridge;
        if (config.store.backend == store::store_spec::kind::redis) {
            bridge.emplace(hub, config.store.location, store_options);
        }
        if (config.store.backend == store::store_spec::kind::kv_rest) {
            boost::asio::co_spawn(server.get_executor(), poller.run(), boost::asio::detached);
        }

        const auto endpoint = server.local_endpoint();
        spdlog::info("progressd {} listening on http://{}:{} (store {}, ttl {}s, {} threads)",
                     PROGRESSD_VERSION, endpoint.address().to_string(), endpoint.port(),
                     config.store_text, config.ttl.count(), config.threads);
        flush_logs();
        server.run();
        store->close();
        spdlog::info("stopped");
        spdlog::shutdown();
        return 0;
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        std::cerr << "progressd: " << e.what() << "\n";
        return 1;
    }
}
