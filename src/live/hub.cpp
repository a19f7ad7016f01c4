#include "live/hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace progressd::live {
namespace net = boost::asio;

//------------------------------------------------------------------------------
// watcher

watcher::watcher(net::any_io_executor executor)
    : executor_(std::move(executor)), timer_(executor_) {}

void watcher::offer_progress(const progress_event& e) {
    {
        const std::lock_guard lock(mutex_);
        // Coalescing: only the newest state matters to someone watching. Two writes to one
        // session on two threads may publish out of order, so newest means highest version.
        if (!pending_.progress || e.version > pending_.progress->version) pending_.progress = e;
    }
    wake();
}

void watcher::offer_log(const log_event& e) {
    {
        const std::lock_guard lock(mutex_);
        if (pending_.log.size() >= max_pending_log_entries) {
            pending_.overflowed = true;
        } else {
            pending_.log.push_back(e);
        }
    }
    wake();
}

void watcher::offer_closing() {
    {
        const std::lock_guard lock(mutex_);
        pending_.closing = true;
    }
    wake();
}

void watcher::offer_deleted() {
    {
        const std::lock_guard lock(mutex_);
        pending_.deleted = true;
    }
    wake();
}

void watcher::offer_disconnected() {
    {
        const std::lock_guard lock(mutex_);
        pending_.disconnected = true;
    }
    wake();
}

void watcher::wake() {
    // The timer belongs to the stream's strand; cancelling it there resumes wait().
    net::post(executor_, [self = shared_from_this()] { self->timer_.cancel(); });
}

net::awaitable<void> watcher::wait(std::chrono::steady_clock::duration timeout) {
    {
        const std::lock_guard lock(mutex_);
        if (!pending_.empty()) co_return;
    }
    // An offer made after the check above posts its wake behind this very handler on the same
    // strand, so it finds the wait below already started and cancels it.
    timer_.expires_after(timeout);
    co_await timer_.async_wait(net::as_tuple(net::use_awaitable));
}

pending_events watcher::take() {
    const std::lock_guard lock(mutex_);
    return std::exchange(pending_, pending_events{});
}

//------------------------------------------------------------------------------
// hub

hub::hub(hub_limits limits) : limits_(limits) {}

std::pair<std::unique_ptr<hub::registration>, watch_refusal> hub::watch(
    const std::string& session_id, const std::string& client, const std::shared_ptr<watcher>& w) {
    const std::lock_guard lock(mutex_);
    if (total_ >= limits_.max_watchers) return {nullptr, watch_refusal::instance_full};
    auto& of_client = per_client_[client];
    if (of_client >= limits_.max_watchers_per_client) return {nullptr, watch_refusal::client_full};
    ++of_client;
    ++total_;
    const watcher* raw = w.get();
    sessions_[session_id].push_back(w);
    return {std::make_unique<registration>(*this, session_id, client, raw), watch_refusal::none};
}

void hub::unwatch(const std::string& session_id, const std::string& client, const watcher* w) {
    const std::lock_guard lock(mutex_);
    if (auto it = sessions_.find(session_id); it != sessions_.end()) {
        std::erase_if(it->second, [w](const std::weak_ptr<watcher>& candidate) {
            const auto alive = candidate.lock();
            return !alive || alive.get() == w;
        });
        if (it->second.empty()) sessions_.erase(it);
    }
    if (auto it = per_client_.find(client); it != per_client_.end() && --it->second == 0) {
        per_client_.erase(it);
    }
    --total_;
}

std::vector<std::shared_ptr<watcher>> hub::watchers_of(const std::string& session_id) {
    std::vector<std::shared_ptr<watcher>> alive;
    const std::lock_guard lock(mutex_);
    const auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return alive;
    alive.reserve(it->second.size());
    for (const auto& weak : it->second) {
        if (auto w = weak.lock()) alive.push_back(std::move(w));
    }
    return alive;
}

void hub::publish_progress(const std::string& session_id, const progress_event& e) {
    for (const auto& w : watchers_of(session_id)) w->offer_progress(e);
}

void hub::publish_log(const std::string& session_id, const log_event& e) {
    for (const auto& w : watchers_of(session_id)) w->offer_log(e);
}

void hub::publish_deleted(const std::string& session_id) {
    for (const auto& w : watchers_of(session_id)) w->offer_deleted();
}

void hub::close_all() {
    std::vector<std::shared_ptr<watcher>> all;
    {
        const std::lock_guard lock(mutex_);
        for (const auto& [id, watchers] : sessions_) {
            for (const auto& weak : watchers) {
                if (auto w = weak.lock()) all.push_back(std::move(w));
            }
        }
    }
    for (const auto& w : all) w->offer_closing();
}

std::vector<std::string> hub::watched_sessions() const {
    std::vector<std::string> ids;
    const std::lock_guard lock(mutex_);
    ids.reserve(sessions_.size());
    for (const auto& [id, watchers] : sessions_) ids.push_back(id);
    return ids;
}

std::size_t hub::watcher_count() const {
    const std::lock_guard lock(mutex_);
    return total_;
}

}  // namespace progressd::live
