// Live updates across instances for stores that cannot publish them (the Upstash REST API has
// no SUBSCRIBE): once a second, each instance asks the store about the sessions its own
// watchers follow, in one request, and hands what changed to its hub. What changed is decided
// by the version and the log's entry count the poller saw last, never by comparing texts: at
// 10,000 watched sessions a round costs 10,000 number comparisons, not a copy of every text.
#pragma once

#include "live/hub.hpp"
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

namespace progressd::live {

class store_poller {
public:
    store_poller(store::store& store, hub& h, std::chrono::milliseconds interval);

    /// Polls until the executor's io_context stops. Never throws.
    boost::asio::awaitable<void> run();

    /// One round: ask, compare versions and entry counts with the last answer, publish the
    /// sessions whose version changed (or that are new to the poller) and the new log entries.
    boost::asio::awaitable<void> poll_once();

private:
    /// Publishes the entries of `session_id`'s log after the first `known`; false when the log
    /// could not be read.
    boost::asio::awaitable<bool> publish_log_from(const std::string& session_id,
                                                  std::uint64_t known);

    store::store& store_;
    hub& hub_;
    std::chrono::milliseconds interval_;
    struct seen_state {
        std::optional<std::uint64_t> version;  ///< of the progress last published
        std::uint64_t log_entries = 0;
    };
    std::unordered_map<std::string, seen_state> seen_;
};

}  // namespace progressd::live
