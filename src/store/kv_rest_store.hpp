// `kv-rest:` — the Upstash REST protocol that Vercel KV speaks, in the original app's key layout.
#pragma once

#include "store/store.hpp"
#include "store/store_spec.hpp"
#include "util/clock.hpp"

#include <memory>

namespace progressd::store {

/// Opens the REST store at spec.location with spec.token (spec.read_only_token for reads when
/// set). Throws std::runtime_error with a one-line reason when the endpoint is not usable, e.g.
/// when it does not answer HTTP at all (a Redis port given as a REST URL).
std::unique_ptr<store> make_kv_rest_store(const store_spec& spec, const open_options& options,
                                          const clock& clock);

}  // namespace progressd::store
