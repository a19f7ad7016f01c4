#include "live/store_poller.hpp"

#include "live/sse_stream.hpp"

#include <boost/asio/as_tuple.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <string_view>
#include <unordered_set>

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
    const std::unordered_set<std::string_view> watched(ids.begin(), ids.end());
    std::erase_if(seen_, [&](const auto& entry) { return !watched.contains(entry.first); });
    if (ids.empty()) co_return;
    auto states = co_await store_.snapshot(ids);
    if (!states) {
        spdlog::debug("live poll failed: {}", states.error().message());
        co_return;
    }
    for (std::size_t i = 0; i < ids.size() && i < states->size(); ++i) {
        auto& state = (*states)[i];
        auto& seen = seen_[ids[i]];
        if (!state.progress) {
            seen.version.reset();
        } else if (seen.version != state.progress->version) {
            seen.version = state.progress->version;
            hub_.publish_progress(
                ids[i], {state.progress->version,
                         std::make_shared<const std::string>(std::move(state.progress->json))});
        }
        // A session seen for the first time publishes its whole log: its watchers read the
        // log when they started, and drop what they already have by entry count.
        // A log that could not be read is read again next round.
        const std::uint64_t known = seen.log_entries;
        if (state.log_entries > known) {
            const bool read = co_await publish_log_from(ids[i], known);
            if (!read) continue;
        }
        seen_[ids[i]].log_entries = state.log_entries;
    }
}

net::awaitable<bool> store_poller::publish_log_from(const std::string& session_id,
                                                    std::uint64_t known) {
    auto log = co_await store_.get_log(session_id);
    if (!log) co_return false;
    const auto entries = log_entries(*log);
    for (std::size_t n = known; n < entries.size(); ++n) {
        hub_.publish_log(session_id, {n + 1, std::make_shared<const std::string>(entries[n])});
    }
    co_return true;
}

}  // namespace progressd::live
