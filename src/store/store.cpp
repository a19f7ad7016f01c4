#include "store/store.hpp"

#include <boost/json/parse.hpp>

namespace progressd::store {

// The general way, one session at a time; a backend that can ask for many at once overrides it.
boost::asio::awaitable<result<std::vector<store::watch_state>>> store::snapshot(
    std::vector<std::string> session_ids) {
    std::vector<watch_state> states;
    states.reserve(session_ids.size());
    for (auto& id : session_ids) {
        watch_state state;
        auto progress = co_await get(id);
        if (progress) {
            state.progress = std::move(*progress);
        } else if (progress.error() != store_errc::not_found) {
            co_return progress.error();
        }
        auto log = co_await get_log(id);
        if (!log) co_return log.error();
        boost::system::error_code ec;
        const auto entries = boost::json::parse(*log, ec);
        if (!ec && entries.is_array()) state.log_entries = entries.as_array().size();
        states.push_back(std::move(state));
    }
    co_return states;
}

}  // namespace progressd::store
