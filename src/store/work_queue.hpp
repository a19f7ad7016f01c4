// The queue in front of a store's own threads (the SQLite writer, the Redis and REST workers):
// one FIFO of jobs with a bound, a wait deadline, and a shutdown in which every job is answered.
//
// DESIGN. Callers push() from any thread; worker threads take() batches. Whatever happens, each
// job pushed is either handed to exactly one take() or answered exactly once by the queue with
// `answer(job, code)`: unavailable when refused (closed, or full at `max_queued`), timeout when
// it waited longer than `max_wait` before a worker took it, unavailable when cancel_pending()
// gives up on it. The queue answers outside its lock, since an answer may post or push again.
// Expired jobs sit at the front (FIFO), so both push() and take() sweep them in O(expired): a
// backlog behind a hung backend is answered within `max_wait` of traffic, or when a worker
// comes back, never later.
#pragma once

#include "util/errors.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace progressd::store {

struct work_queue_limits {
    /// A push beyond this many queued jobs is refused (answered store_errc::unavailable).
    std::size_t max_queued = 65536;
    /// A job that waited this long before a worker took it is answered store_errc::timeout
    /// instead; zero: no deadline (the SQLite writer, whose writes are never dropped).
    std::chrono::steady_clock::duration max_wait{};
};

/// Example:
///   work_queue<job> q({.max_queued = 1000, .max_wait = 2s},
///                     [](job& j, store_errc e) { j.complete(e); });
///   q.push(std::move(j));                                    // any thread
///   std::vector<job> batch;
///   while (q.take(batch, 64) != work_queue<job>::taken::closed) { serve(batch); batch.clear(); }
template <class Job>
class work_queue {
public:
    using clock_type = std::chrono::steady_clock;
    using answer_fn = std::function<void(Job&, store_errc)>;
    enum class taken { work, idle, closed };

    work_queue(work_queue_limits limits, answer_fn answer)
        : limits_(limits), answer_(std::move(answer)) {}
    work_queue(const work_queue&) = delete;
    work_queue& operator=(const work_queue&) = delete;
    ~work_queue() { cancel_pending(); }

    /// Queues `j`, or answers it at once when the queue is closed or full.
    void push(Job j) {
        std::vector<Job> expired;
        std::optional<store_errc> refusal;
        {
            const std::lock_guard lock(mutex_);
            sweep_locked(clock_type::now(), expired);
            if (closed_ || queue_.size() >= limits_.max_queued) {
                refusal = store_errc::unavailable;
            } else {
                queue_.push_back({std::move(j), clock_type::now()});
            }
        }
        answer_all(expired, store_errc::timeout);
        if (refusal) return answer_(j, *refusal);
        ready_.notify_one();
    }

    /// Waits for work (at most `idle`, when given) and moves up to `max` jobs into `batch`;
    /// jobs past their deadline are answered, not handed out. `closed`: closed and drained.
    taken take(std::vector<Job>& batch, std::size_t max,
               std::optional<clock_type::duration> idle = std::nullopt) {
        std::vector<Job> expired;
        taken outcome = taken::work;
        {
            std::unique_lock lock(mutex_);
            const auto ready = [this] { return closed_ || !queue_.empty(); };
            if (idle) {
                ready_.wait_for(lock, *idle, ready);
            } else {
                ready_.wait(lock, ready);
            }
            sweep_locked(clock_type::now(), expired);
            if (queue_.empty()) {
                outcome = closed_ ? taken::closed : taken::idle;
            } else {
                for (std::size_t n = 0; n < max && !queue_.empty(); ++n) {
                    batch.push_back(std::move(queue_.front().job));
                    queue_.pop_front();
                }
            }
        }
        answer_all(expired, store_errc::timeout);
        if (outcome == taken::closed) ready_.notify_all();  // wake the other workers to end
        return outcome;
    }

    /// Refuses later pushes; what is queued is still handed out (drain), then take() says closed.
    void close() {
        {
            const std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
    }

    /// Answers everything queued now with store_errc::unavailable (shutdown, giving up).
    void cancel_pending() {
        std::vector<Job> pending;
        {
            const std::lock_guard lock(mutex_);
            for (auto& q : queue_) pending.push_back(std::move(q.job));
            queue_.clear();
        }
        answer_all(pending, store_errc::unavailable);
    }

    std::size_t size() const {
        const std::lock_guard lock(mutex_);
        return queue_.size();
    }

private:
    struct queued {
        Job job;
        clock_type::time_point at;
    };

    void sweep_locked(clock_type::time_point now, std::vector<Job>& expired) {
        if (limits_.max_wait == clock_type::duration::zero()) return;
        while (!queue_.empty() && now - queue_.front().at >= limits_.max_wait) {
            expired.push_back(std::move(queue_.front().job));
            queue_.pop_front();
        }
    }

    void answer_all(std::vector<Job>& jobs, store_errc code) {
        for (auto& j : jobs) answer_(j, code);
    }

    const work_queue_limits limits_;
    const answer_fn answer_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<queued> queue_;
    bool closed_ = false;
};

}  // namespace progressd::store
