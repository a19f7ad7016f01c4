// Placeholder while the backend is written (this session); replaced before the commit.
#include "store/kv_rest_store.hpp"
#include <stdexcept>
namespace progressd::store {
}  // namespace progressd::store
std::unique_ptr<progressd::store::store> progressd::store::make_kv_rest_store(const store_spec&, const open_options&, const clock&) { throw std::runtime_error("kv-rest store: work in progress"); }
