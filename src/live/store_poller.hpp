// Live updates across instances for stores that cannot publish them (the Upstash REST API has
// no SUBSCRIBE): once a second, each instance asks the store about the sessions its own
// watchers follow, in one request, and hands what changed to its hub. Streams drop what they
// have already sent, so publishing a state twice is harmless.
#pragma once

#include "live/hub.hpp"
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <unordered_map>

namespace progressd::live {

class store_poller {
public:
    store_poller(store::store& store, hub& h, std::chrono::milliseconds interval);

    /// Polls until the executor's io_context stops. Never throws.
    boost::asio::awaitable<void> run();

    /// One round: ask, compare with the last answer, publish the differences.
    boost::asio::awaitable<void> poll_once();

private:
    store::store& store_;
    hub& hub_;
    std::chrono::milliseconds interval_;
    std::unordered_map<std::string, std::uint64_t> log_entries_seen_;
};

}  // namespace progressd::live
