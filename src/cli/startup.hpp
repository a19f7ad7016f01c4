// What progressd checks and says as it starts: the store spec as it may be printed, the one
// line that says where it listens, and the data directory rule of the SQLite store.
#pragma once

#include "store/store_spec.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace progressd::cli {

/// `spec` as it may appear in a log line: a Redis URL's password becomes "***", and a REST
/// store shows its URL, never its tokens. Example: redis://app:s3cret@db:6379 →
/// "redis://app:***@db:6379".
std::string describe_store(const store::store_spec& spec);

/// Refuses an SQLite database whose directory does not exist, except the default ./data, which
/// the store creates: a typo in --store must not silently create directories elsewhere.
/// Throws std::runtime_error naming the directory, e.g. "cannot open database /x/y/p.db: the
/// directory /x/y does not exist (create it first)".
void check_sqlite_directory(const store::store_spec& spec);

/// The warning to print when the open-file limit lowered --max-connections, or nullopt: only
/// when the user asked for more (`given`), since the default is a ceiling, not a request.
std::optional<std::string> connection_limit_warning(std::size_t granted, std::size_t asked,
                                                    bool given, std::uint64_t open_file_limit);

}  // namespace progressd::cli
