// JSON → ProgressData / ErrorLogEntry, with the same outcome as the original app's Zod 4
// `safeParse`: either the typed value (unknown keys dropped, records in JavaScript key order) or
// every issue found, in schema order. Pure and allocation-light: unit-tested and fuzzed alone.
#pragma once

#include "model/issues.hpp"
#include "model/progress.hpp"

#include <boost/json/value.hpp>

#include <variant>

namespace progressd::model {

template <class T>
using validated = std::variant<T, issue_list>;

/// Validates a parsed body against the ProgressData schema.
/// Example: validate_progress(json::parse("[]")) holds one issue:
///   expected "object", received "array", path [].
validated<progress> validate_progress(const boost::json::value& body);

/// Validates a parsed body against the ErrorLogEntry schema.
validated<log_entry> validate_log_entry(const boost::json::value& body);

}  // namespace progressd::model
