// The poller of stores without publish (the REST store), on the memory store: a round publishes
// what changed since the last one, decided by versions and entry counts, and nothing else.
#include "live/store_poller.hpp"
#include "store/memory_store.hpp"
#include "support/run_sync.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

namespace progressd::live {
namespace {

using namespace std::chrono_literals;
using testing::run_sync;

class store_poller_test : public ::testing::Test {
protected:
    void put(const std::string& json) { ASSERT_TRUE(run_sync(ioc_, store_.put("s", json, 60s))); }
    // Appends a valid ErrorLogEntry of step `step` (streams drop entries that are not).
    void append(int step) { ASSERT_TRUE(run_sync(ioc_, store_.append_log("s", entry(step), 60s))); }
    static std::string entry(int step) {
        return R"({"tool":"git","error":"e","suggestedFix":"f","timestamp":"t","step":)" +
               std::to_string(step) + "}";
    }
    // One round, and what the watcher was offered by it.
    pending_events poll() {
        run_sync(ioc_, poller_.poll_once());
        return watcher_->take();
    }

    boost::asio::io_context ioc_;
    manual_clock clock_;
    store::memory_store store_{clock_};
    hub hub_{{100, 100}};
    store_poller poller_{store_, hub_, 1000ms};
    std::shared_ptr<watcher> watcher_ = std::make_shared<watcher>(ioc_.get_executor());
    std::unique_ptr<hub::registration> registration_ = hub_.watch("s", "10.0.0.1", watcher_).first;
};

TEST_F(store_poller_test, a_new_version_is_published_once_and_an_unchanged_one_never_again) {
    put(R"({"step":1})");
    auto first = poll();
    ASSERT_TRUE(first.progress);
    EXPECT_EQ(first.progress->version, 1u);
    EXPECT_EQ(*first.progress->json, R"({"step":1})");

    EXPECT_TRUE(poll().empty());  // unchanged: not offered again
    EXPECT_TRUE(poll().empty());

    put(R"({"step":2})");
    auto second = poll();
    ASSERT_TRUE(second.progress);
    EXPECT_EQ(second.progress->version, 2u);
    EXPECT_EQ(*second.progress->json, R"({"step":2})");
    EXPECT_TRUE(poll().empty());
}

TEST_F(store_poller_test, new_log_entries_are_published_once_each) {
    append(1);
    append(2);
    auto first = poll();
    ASSERT_EQ(first.log.size(), 2u);
    EXPECT_EQ(first.log[1].count, 2u);
    EXPECT_EQ(*first.log[1].entry_json, entry(2));
    EXPECT_TRUE(poll().empty());
    append(3);
    auto next = poll();
    ASSERT_EQ(next.log.size(), 1u);
    EXPECT_EQ(next.log[0].count, 3u);
    EXPECT_TRUE(poll().empty());
}

TEST_F(store_poller_test, a_session_watched_again_is_published_again) {
    put(R"({"step":1})");
    ASSERT_TRUE(poll().progress);
    registration_.reset();  // nobody watches: the poller forgets the session
    run_sync(ioc_, poller_.poll_once());
    registration_ = hub_.watch("s", "10.0.0.1", watcher_).first;
    const auto again = poll();
    ASSERT_TRUE(again.progress);
    EXPECT_EQ(again.progress->version, 1u);
}

}  // namespace
}  // namespace progressd::live
