// `memory:` — everything in process memory, lost on exit. For tests and demos.
#pragma once

#include "store/store.hpp"
#include "util/clock.hpp"

#include <mutex>
#include <string>
#include <unordered_map>

namespace progressd::store {

class memory_store final : public store {
public:
    explicit memory_store(const clock& clock);

    boost::asio::awaitable<result<stored_progress>> get(std::string session_id) override;
    boost::asio::awaitable<result<std::uint64_t>> put(std::string session_id,
                                                      std::string progress_json,
                                                      std::chrono::seconds ttl) override;
    boost::asio::awaitable<result<std::uint64_t>> put_if(
        std::string session_id, std::string progress_json, std::chrono::seconds ttl,
        std::optional<std::uint64_t> expected) override;
    boost::asio::awaitable<result<std::uint64_t>> append_log(std::string session_id,
                                                             std::string entry_json,
                                                             std::chrono::seconds ttl) override;
    boost::asio::awaitable<result<std::string>> get_log(std::string session_id) override;
    boost::asio::awaitable<result<void>> ping() override;
    void close() override {}

private:
    struct progress_record {
        stored_progress progress;
        wall_time expires_at;
    };
    struct log_record {
        std::vector<std::string> entries;
        wall_time expires_at;
    };

    void purge_expired_locked(wall_time now);
    /// Replaces the progress and returns its new version. Caller holds mutex_.
    std::uint64_t write_locked(std::string session_id, std::string progress_json,
                               wall_time expires_at);

    const clock& clock_;
    std::mutex mutex_;
    std::unordered_map<std::string, progress_record> progress_;
    std::unordered_map<std::string, log_record> logs_;
    wall_time next_purge_{};
};

}  // namespace progressd::store
