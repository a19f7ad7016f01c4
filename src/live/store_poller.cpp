#include "live/store_poller.hpp"

#include "live/sse_stream.hpp"

#include <boost/asio/as_tuple.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace progressd::live {
namespace net = boost::asio;

store_poller::store_poller(store::store& store, hub& h, std::chrono::milliseconds interval)
    : store_(store), hub_(h), interval_(interval) {}

net::awaitable<void> store_poller::run() {
    // Its own statement: GCC 12 can mishandle temporaries around a co_await in an argument list.
    const auto executor = co_await net::this_coro::executor;
    net::steady_timer timer(executor);
    for (;;) {
        timer.expires_after(interval_);
        auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        if (ec) co_return;
        co_await poll_once();
    }
}

net::awaitable<void> store_poller::poll_once() {
    auto ids = hub_.watched_sessions();
    // Forget sessions nobody watches any more, so the map stays the size of what is watched.
    std::erase_if(log_entries_seen_, [&](const auto& entry) {
        return std::find(ids.begin(), ids.end(), entry.first) == ids.end();
    });
    if (ids.empty()) co_return;
    auto states = co_await store_.snapshot(ids);
    if (!states) {
        spdlog::debug("live poll failed: {}", states.error().message());
        co_return;
    }
    for (std::size_t i = 0; i < ids.size() && i < states->size(); ++i) {
        const auto& state = (*states)[i];
        if (state.progress) {
            hub_.publish_progress(ids[i],
                                  {state.progress->version,
                                   std::make_shared<const std::string>(state.progress->json)});
        }
        // A session seen for the first time publishes its whole log: its watchers read the
        // log when they started, and drop what they already have by entry count.
        const auto seen = log_entries_seen_.find(ids[i]);
        const std::uint64_t known = seen == log_entries_seen_.end() ? 0 : seen->second;
        if (state.log_entries > known ||
            (seen == log_entries_seen_.end() && state.log_entries > 0)) {
            auto log = co_await store_.get_log(ids[i]);
            if (!log) continue;
            const auto entries = log_entries(*log);
            for (std::size_t n = known; n < entries.size(); ++n) {
                hub_.publish_log(ids[i], {n + 1, std::make_shared<const std::string>(entries[n])});
            }
        }
        log_entries_seen_[ids[i]] = state.log_entries;
    }
}

}  // namespace progressd::live
