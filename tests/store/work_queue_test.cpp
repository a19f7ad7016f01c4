// The queue in front of every store's threads (src/store/work_queue.hpp): each job is handed
// out once or answered once, whatever happens.
#include "store/work_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

namespace progressd::store {
namespace {

using namespace std::chrono_literals;

struct job {
    int id = 0;
};

// Records the queue's answers by job id.
struct answers {
    std::mutex mutex;
    std::map<int, store_errc> by_id;
    work_queue<job>::answer_fn fn() {
        return [this](job& j, store_errc e) {
            const std::lock_guard lock(mutex);
            EXPECT_TRUE(by_id.emplace(j.id, e).second) << "job " << j.id << " answered twice";
        };
    }
};

TEST(work_queue_test, a_push_beyond_the_bound_is_refused_as_unavailable) {
    answers a;
    work_queue<job> q({.max_queued = 2}, a.fn());
    q.push({1});
    q.push({2});
    q.push({3});
    EXPECT_EQ(q.size(), 2u);
    ASSERT_EQ(a.by_id.size(), 1u);
    EXPECT_EQ(a.by_id.at(3), store_errc::unavailable);
}

TEST(work_queue_test, a_job_past_its_deadline_is_answered_timeout_not_handed_out) {
    answers a;
    work_queue<job> q({.max_wait = 20ms}, a.fn());
    q.push({1});
    std::this_thread::sleep_for(30ms);
    q.push({2});  // sweeps job 1 on the way
    EXPECT_EQ(a.by_id.at(1), store_errc::timeout);
    std::vector<job> batch;
    EXPECT_EQ(q.take(batch, 10), work_queue<job>::taken::work);
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].id, 2);
    std::this_thread::sleep_for(30ms);
    q.push({3});
    std::this_thread::sleep_for(30ms);
    batch.clear();
    EXPECT_EQ(q.take(batch, 10, 0ms), work_queue<job>::taken::idle);  // take sweeps too
    EXPECT_EQ(a.by_id.at(3), store_errc::timeout);
}

TEST(work_queue_test, cancel_answers_everything_pending_and_close_refuses_later_pushes) {
    answers a;
    work_queue<job> q({}, a.fn());
    for (int i = 0; i < 5; ++i) q.push({i});
    q.close();
    q.cancel_pending();
    q.push({9});
    EXPECT_EQ(a.by_id.size(), 6u);
    for (const auto& [id, e] : a.by_id) EXPECT_EQ(e, store_errc::unavailable) << id;
    std::vector<job> batch;
    EXPECT_EQ(q.take(batch, 10), work_queue<job>::taken::closed);
}

TEST(work_queue_test, the_queue_answers_what_it_still_holds_when_destroyed) {
    answers a;
    {
        work_queue<job> q({}, a.fn());
        q.push({1});
    }
    EXPECT_EQ(a.by_id.at(1), store_errc::unavailable);
}

TEST(work_queue_test, close_drains_every_queued_job_to_the_workers_in_batches) {
    answers a;
    work_queue<job> q({}, a.fn());
    for (int i = 0; i < 100; ++i) q.push({i});
    q.close();
    std::atomic<int> taken{0};
    std::atomic<std::size_t> largest{0};
    const auto worker = [&] {
        std::vector<job> batch;
        while (q.take(batch, 8) == work_queue<job>::taken::work) {
            taken += static_cast<int>(batch.size());
            if (batch.size() > largest) largest = batch.size();
            batch.clear();
        }
    };
    std::thread w1(worker), w2(worker);
    w1.join();
    w2.join();
    EXPECT_EQ(taken.load(), 100);
    EXPECT_EQ(largest.load(), 8u);
    EXPECT_TRUE(a.by_id.empty());
}

TEST(work_queue_test, take_waits_for_work_and_returns_idle_after_its_timeout) {
    answers a;
    work_queue<job> q({}, a.fn());
    std::vector<job> batch;
    EXPECT_EQ(q.take(batch, 10, 5ms), work_queue<job>::taken::idle);
    std::thread pusher([&] {
        std::this_thread::sleep_for(10ms);
        q.push({1});
    });
    EXPECT_EQ(q.take(batch, 10), work_queue<job>::taken::work);
    pusher.join();
    EXPECT_EQ(batch.size(), 1u);
}

}  // namespace
}  // namespace progressd::store
