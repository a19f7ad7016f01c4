// Parsing of the --store option (`sqlite:PATH`, `memory:`) and construction of the backend it
// names. New backends (redis://, rediss://, kv-rest:) add a kind here and a file beside it.
#pragma once

#include "store/store.hpp"
#include "util/clock.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::store {

struct store_spec {
    enum class kind { memory, sqlite };
    kind backend = kind::sqlite;
    std::string location;  ///< sqlite: the database file path
};

/// Parses `text`; nullopt with `*problem` set to a one-line reason when it is not a known form.
/// Example: parse_store_spec("sqlite:./data/progress.db") → {sqlite, "./data/progress.db"}.
std::optional<store_spec> parse_store_spec(std::string_view text, std::string* problem);

struct open_options {
    bool fsync = false;
};

/// Opens the backend. Throws std::runtime_error with a one-line reason when it cannot.
std::unique_ptr<store> open_store(const store_spec& spec, const open_options& options,
                                  const clock& clock);

}  // namespace progressd::store
