#include "live/redis_bridge.hpp"

#include "store/redis_layout.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <array>

namespace progressd::live {
namespace {

using namespace std::chrono_literals;
namespace redis_client = store::redis_client;

constexpr auto first_backoff = 50ms;
constexpr auto max_backoff = 1000ms;

}  // namespace

redis_bridge::redis_bridge(hub& h, const std::string& url, const store::open_options& options)
    : hub_(h), endpoint_(redis_client::parse_url(url)), options_(options) {
    thread_ = std::thread([this] { run(); });
}

redis_bridge::~redis_bridge() { stop(); }

void redis_bridge::stop() {
    {
        const std::lock_guard lock(mutex_);
        if (stopping_.exchange(true)) return;
        if (subscriber_fd_ >= 0) ::shutdown(subscriber_fd_, SHUT_RDWR);
    }
    stopped_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool redis_bridge::deliver(hub& h, std::string_view message) {
    std::array<std::string_view, 3> head;
    for (auto& part : head) {
        const auto end = message.find('\n');
        if (end == std::string_view::npos) return false;
        part = message.substr(0, end);
        message.remove_prefix(end + 1);
    }
    const auto number = redis_client::whole_number<std::uint64_t>(head[2]);
    if (!number) return false;
    const std::string session_id(head[1]);
    auto json = std::make_shared<const std::string>(message);
    if (head[0] == "progress") {
        h.publish_progress(session_id, {*number, std::move(json)});
    } else if (head[0] == "log") {
        h.publish_log(session_id, {*number, std::move(json)});
    } else if (head[0] == "deleted") {
        h.publish_deleted(session_id);  // "deleted\n<id>\n0\n": nothing follows the 0
    } else {
        return false;
    }
    return true;
}

void redis_bridge::run() {
    redis_client::block_sigpipe();
    auto backoff = std::chrono::milliseconds(first_backoff);
    bool reported = false;
    while (!stopping_) {
        auto connected = redis_client::connect(endpoint_, options_);
        if (connected) {
            backoff = first_backoff;
            if (reported) spdlog::info("live bridge: subscribed again at {}", endpoint_.authority);
            reported = false;
            serve(*connected);
        } else if (!reported) {
            spdlog::warn("live bridge: redis at {} unreachable: {}; retrying", endpoint_.authority,
                         connected.error().message);
            reported = true;
        }
        std::unique_lock lock(mutex_);
        stopped_.wait_for(lock, backoff, [this] { return stopping_.load(); });
        backoff = std::min(backoff * 2, std::chrono::milliseconds(max_backoff));
    }
}

void redis_bridge::serve(redis_client::connection& c) {
    redis_client::append(c, {"SUBSCRIBE", std::string(store::redis_layout::events_channel)});
    if (!redis_client::read_reply(c, options_.command_timeout)) return;
    // Messages come whenever anyone writes: wait for them without a deadline.
    redisSetTimeout(c.get(), timeval{0, 0});
    {
        const std::lock_guard lock(mutex_);
        if (stopping_) return;
        subscriber_fd_ = c->fd;
    }
    for (;;) {
        auto reply = redis_client::read_reply(c, options_.command_timeout);
        if (!reply) break;  // Redis went away, or stop() shut the socket down
        const redisReply& r = **reply;
        if (r.type == REDIS_REPLY_ARRAY && r.elements == 3 &&
            r.element[2]->type == REDIS_REPLY_STRING) {
            deliver(hub_, std::string_view(r.element[2]->str, r.element[2]->len));
        }
    }
    const std::lock_guard lock(mutex_);
    subscriber_fd_ = -1;
    if (!stopping_) spdlog::warn("live bridge: lost the subscription at {}", endpoint_.authority);
}

}  // namespace progressd::live
