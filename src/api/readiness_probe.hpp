// What /readyz answers: the store's ping, shared and bounded. Every /readyz within `fresh_for`
// of a successful ping gets that answer, and concurrent ones share one ping in flight, so a probe
// storm costs a healthy backend (a billed Upstash PING) one command a second. Failures are not
// kept, so readiness comes back with the first probe after the store does. A ping that takes longer
// than `deadline` is answered store_errc::timeout, whatever the store's queue holds; at most one
// ping is ever outstanding, so a hung store does not collect pings.
#pragma once

#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>

namespace progressd::api {

class readiness_probe {
public:
    /// Example: readiness_probe probe(store); auto ready = co_await probe.check();
    explicit readiness_probe(store::store& store,
                             std::chrono::milliseconds fresh_for = std::chrono::seconds(1),
                             std::chrono::milliseconds deadline = std::chrono::seconds(1));

    /// Success, the store's error, or store_errc::timeout after `deadline`.
    boost::asio::awaitable<result<void>> check();

private:
    struct state;
    static boost::asio::awaitable<result<void>> join(std::shared_ptr<state> s,
                                                     boost::asio::any_io_executor executor);
    std::shared_ptr<state> state_;
};

}  // namespace progressd::api
