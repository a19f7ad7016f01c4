#include "api/readiness_probe.hpp"

#include "store/worker_completion.hpp"
#include "util/net.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <mutex>
#include <optional>
#include <vector>

namespace progressd::api {

using steady = std::chrono::steady_clock;

// Shared with the timer and the ping in flight, which may outlive a check() that timed out.
struct readiness_probe::state : std::enable_shared_from_this<state> {
    state(store::store& s, std::chrono::milliseconds fresh, std::chrono::milliseconds limit)
        : backend(s), fresh_for(fresh), deadline(limit) {}

    // Answers `done` from the last answer, or joins (or starts) the ping in flight.
    void join(const net::any_io_executor& executor, store::completion<void> done) {
        std::unique_lock lock(mutex);
        const auto now = steady::now();
        if (last && now - last_at < fresh_for) {
            auto answer = *last;
            lock.unlock();
            return done(answer);
        }
        if (pinging) {
            // Past its deadline the ping was answered timeout already: do not wait for it again.
            if (now - ping_started >= deadline) {
                lock.unlock();
                return done(store_errc::timeout);
            }
            waiters.push_back(std::move(done));
            return;
        }
        pinging = true;
        const auto this_round = ++round;
        ping_started = now;
        waiters.push_back(std::move(done));
        lock.unlock();
        start_ping(executor, this_round);
    }

    void start_ping(const net::any_io_executor& executor, std::uint64_t this_round) {
        auto timer = std::make_shared<net::steady_timer>(executor, deadline);
        timer->async_wait([self = shared_from_this(), this_round](boost::system::error_code ec) {
            if (!ec) self->time_out(this_round);
        });
        net::co_spawn(
            executor, backend.ping(),
            [self = shared_from_this(), timer](const std::exception_ptr& e, result<void> r) {
                timer->cancel();
                self->answer(e ? result<void>(store_errc::io_error) : r);
            });
    }

    // The deadline of ping `r` passed; nothing to do when that ping has been answered already.
    void time_out(std::uint64_t r) {
        std::vector<store::completion<void>> answered;
        {
            const std::lock_guard lock(mutex);
            if (!pinging || r != round) return;
            answered.swap(waiters);
        }
        for (auto& done : answered) done(store_errc::timeout);
    }

    // Gives `outcome` to everyone waiting, and keeps it for `fresh_for` when it is a success: a
    // failure is not kept, so that the first probe after the store is back says ready.
    void answer(result<void> outcome) {
        std::vector<store::completion<void>> answered;
        {
            const std::lock_guard lock(mutex);
            pinging = false;
            if (outcome) {
                last = outcome;
                last_at = steady::now();
            } else {
                last.reset();
            }
            answered.swap(waiters);
        }
        for (auto& done : answered) done(outcome);
    }

    store::store& backend;
    const std::chrono::milliseconds fresh_for;
    const std::chrono::milliseconds deadline;
    std::mutex mutex;
    std::optional<result<void>> last;
    steady::time_point last_at;
    bool pinging = false;
    std::uint64_t round = 0;  ///< which ping is in flight
    steady::time_point ping_started;
    std::vector<store::completion<void>> waiters;
};

readiness_probe::readiness_probe(store::store& store, std::chrono::milliseconds fresh_for,
                                 std::chrono::milliseconds deadline)
    : state_(std::make_shared<state>(store, fresh_for, deadline)) {}

net::awaitable<result<void>> readiness_probe::check() {
    // The ping and its timer may outlive the caller's connection, and with it the connection's
    // strand: they run on the io_context itself.
    const auto caller = co_await net::this_coro::executor;
    const net::any_io_executor executor =
        static_cast<net::io_context&>(net::query(caller, net::execution::context)).get_executor();
    auto outcome = co_await join(state_, executor);
    co_return outcome;
}

// Not a coroutine: GCC 12 mishandles a lambda temporary inside a co_await expression.
net::awaitable<result<void>> readiness_probe::join(std::shared_ptr<state> s,
                                                   net::any_io_executor executor) {
    return store::resume_when_done<void>(
        [s = std::move(s), executor = std::move(executor)](store::completion<void> done) {
            s->join(executor, std::move(done));
        });
}

}  // namespace progressd::api
