// Cross-instance fan-out with Redis: every progressd instance on one Redis subscribes to the
// channel the write scripts PUBLISH on (store/redis_layout.hpp) and hands each message to its own
// hub, so a watcher on instance B sees a POST made to instance A at once.
//
// DESIGN. One thread owns one blocking subscriber connection. It reconnects with backoff (50 ms
// doubling to 1 s) when Redis goes away; messages published meanwhile are lost, but a watcher
// that reconnects (or the next write) carries the latest state, as events coalesce anyway.
// An instance also receives its own writes back; streams drop them, since they send only
// versions and entry counts they have not sent yet.
#pragma once

#include "live/hub.hpp"
#include "store/redis_connection.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace progressd::live {

class redis_bridge {
public:
    /// Starts subscribing to the Redis at `url` (as given to --store). Throws std::runtime_error
    /// for a URL the store would refuse too; an unreachable Redis is retried, not an error.
    redis_bridge(hub& h, const std::string& url, const store::open_options& options);
    ~redis_bridge();
    redis_bridge(const redis_bridge&) = delete;
    redis_bridge& operator=(const redis_bridge&) = delete;

    /// Ends the subscription and joins the thread.
    void stop();

    /// Parses one channel message (progress, log or deleted; see store/redis_layout.hpp) and
    /// publishes it to `h`; false when it is not one of ours.
    static bool deliver(hub& h, std::string_view message);

private:
    void run();
    void serve(store::redis_client::connection& c);

    hub& hub_;
    store::redis_client::endpoint endpoint_;
    store::open_options options_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable stopped_;
    int subscriber_fd_ = -1;  ///< for stop() to shut the blocking read down; under mutex_
    std::thread thread_;
};

}  // namespace progressd::live
