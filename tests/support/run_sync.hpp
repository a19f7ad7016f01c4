// Runs an awaitable to completion on an io_context from a plain test body.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace progressd::testing {

template <class T>
T run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<T> work) {
    auto done = boost::asio::co_spawn(ioc, std::move(work), boost::asio::use_future);
    ioc.restart();
    ioc.run();
    return done.get();
}

}  // namespace progressd::testing
