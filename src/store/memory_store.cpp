#include "store/memory_store.hpp"

#include <algorithm>

namespace progressd::store {
namespace {

std::string join_json_array(const std::vector<std::string>& entries) {
    std::string array = "[";
    for (const auto& entry : entries) {
        if (array.size() > 1) array += ',';
        array += entry;
    }
    array += ']';
    return array;
}

template <class Part>
bool live(const std::optional<Part>& part, wall_time now) {
    return part && part->expires_at > now;
}

// Expired entries are dropped lazily on access and by a sweep at most this often.
constexpr auto purge_interval = std::chrono::seconds(10);
}  // namespace

memory_store::memory_store(const clock& clock, memory_options options)
    : clock_(clock), options_(options) {}

//------------------------------------------------------------------------------
// Progress and log

boost::asio::awaitable<result<stored_progress>> memory_store::get(std::string session_id) {
    const std::lock_guard lock(mutex_);
    const auto it = sessions_.find(session_id);
    if (it == sessions_.end() || !live(it->second.progress, clock_.now())) {
        co_return store_errc::not_found;
    }
    co_return it->second.progress->progress;
}

boost::asio::awaitable<result<std::uint64_t>> memory_store::put(std::string session_id,
                                                                std::string progress_json,
                                                                std::chrono::seconds ttl) {
    const std::lock_guard lock(mutex_);
    const wall_time now = clock_.now();
    purge_periodically_locked(now);
    if (auto refused = admit_locked(session_id, now)) co_return refused;
    co_return write_locked(std::move(session_id), std::move(progress_json), now + ttl);
}

boost::asio::awaitable<result<std::uint64_t>> memory_store::put_if(
    std::string session_id, std::string progress_json, std::chrono::seconds ttl,
    std::optional<std::uint64_t> expected) {
    const std::lock_guard lock(mutex_);
    const wall_time now = clock_.now();
    const auto it = sessions_.find(session_id);
    const bool exists = it != sessions_.end() && live(it->second.progress, now);
    if (exists != expected.has_value() ||
        (exists && it->second.progress->progress.version != *expected)) {
        co_return store_errc::conflict;
    }
    if (auto refused = admit_locked(session_id, now)) co_return refused;
    co_return write_locked(std::move(session_id), std::move(progress_json), now + ttl);
}

boost::asio::awaitable<result<std::uint64_t>> memory_store::append_log(std::string session_id,
                                                                       std::string entry_json,
                                                                       std::chrono::seconds ttl) {
    const std::lock_guard lock(mutex_);
    const wall_time now = clock_.now();
    purge_periodically_locked(now);
    // The array text grows by the entry and a comma, or starts as "[entry]".
    std::size_t bytes = entry_json.size() + 2;
    if (const auto it = sessions_.find(session_id);
        it != sessions_.end() && live(it->second.log, now)) {
        if (it->second.log->entries.size() >= options_.max_log_entries) {
            co_return store_errc::log_full;
        }
        bytes = it->second.log->bytes + entry_json.size() + 1;
    }
    if (bytes > options_.max_log_bytes) co_return store_errc::log_too_large;
    if (auto refused = admit_locked(session_id, now)) co_return refused;
    auto& record = sessions_[std::move(session_id)];
    const census before = census_of(record);
    if (!live(record.log, now)) record.log = log_record{};
    record.log->bytes = bytes;
    record.log->entries.push_back(std::move(entry_json));
    record.log->expires_at = now + ttl;
    recount_locked(before, census_of(record));
    note_expiry_locked(now + ttl);
    co_return record.log->entries.size();
}

boost::asio::awaitable<result<std::string>> memory_store::get_log(std::string session_id) {
    const std::lock_guard lock(mutex_);
    const auto it = sessions_.find(session_id);
    if (it == sessions_.end() || !live(it->second.log, clock_.now())) co_return std::string("[]");
    co_return join_json_array(it->second.log->entries);
}

boost::asio::awaitable<result<void>> memory_store::ping() { co_return result<void>{}; }

//------------------------------------------------------------------------------
// Administration and access control

boost::asio::awaitable<result<store::session_page>> memory_store::list(std::string cursor,
                                                                       std::size_t limit) {
    const std::lock_guard lock(mutex_);
    const wall_time now = clock_.now();
    session_page page;
    // The cursor is the last id returned, so a session removed meanwhile cannot lose the place.
    auto it = cursor.empty() ? sessions_.begin() : sessions_.upper_bound(cursor);
    for (; it != sessions_.end() && page.sessions.size() < limit; ++it) {
        const auto& progress = it->second.progress;
        if (!live(progress, now)) continue;
        page.sessions.push_back(
            {it->first, progress->progress,
             std::chrono::ceil<std::chrono::seconds>(progress->expires_at - now)});
    }
    if (it != sessions_.end() && !page.sessions.empty()) {
        page.next_cursor = page.sessions.back().session_id;
    }
    co_return page;
}

boost::asio::awaitable<result<bool>> memory_store::remove(std::string session_id) {
    const std::lock_guard lock(mutex_);
    const auto it = sessions_.find(session_id);
    if (it == sessions_.end()) co_return false;
    const wall_time now = clock_.now();
    const bool existed = live(it->second.progress, now) || live(it->second.log, now);
    recount_locked(census_of(it->second), {});
    sessions_.erase(it);
    co_return existed;
}

boost::asio::awaitable<result<std::uint64_t>> memory_store::count() {
    const std::lock_guard lock(mutex_);
    purge_exactly_locked(clock_.now());
    co_return stored_progress_;
}

boost::asio::awaitable<result<std::string>> memory_store::claim_write_key(
    std::string session_id, std::string key_digest, std::chrono::seconds ttl) {
    const std::lock_guard lock(mutex_);
    const wall_time now = clock_.now();
    purge_periodically_locked(now);
    // A key is claimed for a write, which a full store would refuse: refusing the claim too
    // keeps a flood of refused writes from leaving key-only records behind.
    if (auto refused = admit_locked(session_id, now)) co_return refused;
    auto& key = sessions_[std::move(session_id)].key;
    if (!live(key, now)) key = key_record{std::move(key_digest), {}};
    key->expires_at = now + ttl;
    note_expiry_locked(now + ttl);
    co_return key->digest;
}

//------------------------------------------------------------------------------
// Bookkeeping

// A write that would create a session (nothing of it is live) is refused while max_sessions
// sessions are live. The counters include expired parts not yet swept, so only when they reach
// the quota is an exact count needed.
boost::system::error_code memory_store::admit_locked(const std::string& session_id, wall_time now) {
    const auto it = sessions_.find(session_id);
    if (it != sessions_.end() && (live(it->second.progress, now) || live(it->second.log, now))) {
        return {};
    }
    if (stored_sessions_ < options_.max_sessions) return {};
    purge_exactly_locked(now);
    if (stored_sessions_ < options_.max_sessions) return {};
    return store_errc::storage_full;
}

std::uint64_t memory_store::write_locked(std::string session_id, std::string progress_json,
                                         wall_time expires_at) {
    auto& record = sessions_[std::move(session_id)];
    const census before = census_of(record);
    if (!record.progress) record.progress = progress_record{};
    auto& progress = *record.progress;
    progress.progress.json = std::move(progress_json);
    progress.progress.version += 1;
    progress.expires_at = expires_at;
    recount_locked(before, census_of(record));
    note_expiry_locked(expires_at);
    return progress.progress.version;
}

void memory_store::recount_locked(census before, census after) {
    const auto step = [](std::uint64_t& counter, bool was, bool is) {
        if (is && !was) ++counter;
        if (was && !is) --counter;
    };
    step(stored_progress_, before.progress, after.progress);
    step(stored_sessions_, before.session, after.session);
}

void memory_store::note_expiry_locked(wall_time expires_at) {
    earliest_expiry_ = std::min(earliest_expiry_, expires_at);
}

void memory_store::purge_periodically_locked(wall_time now) {
    if (now < next_purge_) return;
    next_purge_ = now + purge_interval;
    purge_all_locked(now);
}

// After this the counters are exact for `now`. Sweeps only when something may have expired.
void memory_store::purge_exactly_locked(wall_time now) {
    if (now >= earliest_expiry_) purge_all_locked(now);
}

void memory_store::purge_all_locked(wall_time now) {
    earliest_expiry_ = wall_time::max();
    const auto keep = [&](auto& part) {
        if (part && part->expires_at <= now) part.reset();
        if (part) note_expiry_locked(part->expires_at);
    };
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        auto& record = it->second;
        const census before = census_of(record);
        keep(record.progress);
        keep(record.log);
        keep(record.key);
        recount_locked(before, census_of(record));
        if (!record.progress && !record.log && !record.key) {
            it = sessions_.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace progressd::store
