// How a store hands an operation to one of its own threads and resumes the caller when the
// thread is done, on the caller's executor. Shared by the SQLite, Redis and REST stores.
#pragma once

#include "util/errors.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <memory>

namespace progressd::store {

/// Called once, from any thread, with an operation's outcome.
template <class T>
using completion = std::function<void(result<T>)>;

/// Suspends the calling coroutine and calls `start(done)`, which hands `done` to another thread;
/// when that thread calls `done(outcome)`, the coroutine resumes with `outcome` on its own
/// executor. Until then the executor counts as having outstanding work, so its io_context does
/// not run out of work while the operation is queued elsewhere.
/// Example: return resume_when_done<std::uint64_t>([&](auto done) { queue.push(job, done); });
template <class T, class Start>
boost::asio::awaitable<result<T>> resume_when_done(Start start) {
    namespace net = boost::asio;
    return net::async_initiate<const net::use_awaitable_t<>&, void(result<T>)>(
        [](auto handler, Start begin) {
            auto executor = net::prefer(net::get_associated_executor(handler),
                                        net::execution::outstanding_work.tracked);
            // std::function needs a copyable target; the coroutine's handler is move-only.
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            begin(completion<T>([shared, executor](result<T> outcome) {
                net::post(executor, [shared, outcome = std::move(outcome)]() mutable {
                    (*shared)(std::move(outcome));
                });
            }));
        },
        net::use_awaitable, std::move(start));
}

}  // namespace progressd::store
