// How many new session ids one client may start: a token bucket per client that only writes to
// a session id the client has not written to recently draw from. A workshop's thirty machines
// behind one router start thirty sessions and then write to them for minutes; a flood of fresh
// ids, each a new row in the store, is stopped after the burst.
//
// DESIGN. "New" is decided here, without asking the store (a round trip on every write's hot
// path): a client's recent ids are remembered in a small LRU per client, at most `remembered`
// ids, forgotten `horizon` after the client's last write. An id counts as new when it is not in
// that list; a session written from a second address counts as new there too. Memory is bounded
// per client by `remembered` ids (each at most 200 characters), and a client only grows its list
// as fast as its bucket allows. Clients live in a few shards, each under its own mutex.
#pragma once

#include "http/rate_limiter.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace progressd::http {

class new_session_limiter {
public:
    using clock_type = rate_limiter::clock_type;

    /// `rate` new ids per second and client, `burst` at once; a rate of 0 allows everything.
    new_session_limiter(double rate, double burst, std::size_t remembered = 256,
                        std::chrono::seconds horizon = std::chrono::minutes(10));

    bool enabled() const { return tokens_.enabled(); }

    /// Records a write of `client` to `session_id` at `now`: 0 when the id is one the client
    /// wrote to recently or a token for a new one is left (the id is then remembered), else the
    /// whole seconds to wait (for Retry-After; at least 1).
    unsigned take(std::string_view client, std::string_view session_id,
                  clock_type::time_point now = clock_type::now());

    /// The number of clients with remembered ids (for tests).
    std::size_t tracked_clients() const;

private:
    struct recent_ids {
        std::list<std::string> order;  // most recent first
        std::unordered_map<std::string_view, std::list<std::string>::iterator> index;
        clock_type::time_point last_write;
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, recent_ids> clients;
        clock_type::time_point next_sweep{};
    };
    static constexpr std::size_t shard_count = 16;

    void remember(recent_ids& ids, std::string_view session_id) const;
    void sweep(shard& s, clock_type::time_point now) const;

    rate_limiter tokens_;
    std::size_t remembered_;
    clock_type::duration horizon_;
    std::array<shard, shard_count> shards_;
};

}  // namespace progressd::http
