// Placeholder while the backend is written (this session); replaced before the commit.
#include "store/redis_store.hpp"
#include <stdexcept>
namespace progressd::store {
}  // namespace progressd::store
std::unique_ptr<progressd::store::store> progressd::store::make_redis_store(const std::string&, const open_options&, const clock&) { throw std::runtime_error("redis store: work in progress"); }
