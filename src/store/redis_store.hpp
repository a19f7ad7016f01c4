// `redis://[user:password@]host:port[/db]` — Redis, in the original app's key layout.
#pragma once

#include "store/store.hpp"
#include "store/store_spec.hpp"
#include "util/clock.hpp"

#include <memory>
#include <string>

namespace progressd::store {

/// Opens the Redis store for `url`. Throws std::runtime_error with a one-line reason when the
/// URL is not usable; an unreachable server is not an error here (the store reconnects).
std::unique_ptr<store> make_redis_store(const std::string& url, const open_options& options,
                                        const clock& clock);

}  // namespace progressd::store
