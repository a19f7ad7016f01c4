// Size quotas on accepted data, beyond what the original schemas check: a self-hosted server
// must not let one script fill its memory or its disk. Checked after validation, and reported
// as Zod-style too_big issues so that clients read them like every other 400.
#pragma once

#include "model/issues.hpp"
#include "model/progress.hpp"

#include <cstddef>

namespace progressd::model {

struct quota_limits {
    std::size_t max_tools = 200;
    std::size_t max_completed_steps = 1000;
    std::size_t max_errors = 1000;         ///< entries of ProgressData.errors
    std::size_t max_action_length = 2048;  ///< currentAction
    std::size_t max_text_length = 16384;   ///< error messages and suggested fixes
    std::size_t max_name_length = 256;     ///< tool names and versions
    std::size_t max_timestamp_length = 64;
};

/// Every quota `p` exceeds, in schema order; empty when it fits. Lengths are counted as
/// JavaScript counts them (UTF-16 code units), like Zod's .max().
/// Example: a currentAction of 3,000 ASCII characters gives one issue with origin "string",
/// maximum 2048 and path ["currentAction"].
issue_list check_quotas(const progress& p, const quota_limits& limits);
issue_list check_quotas(const log_entry& e, const quota_limits& limits);

/// The length of UTF-8 `text` in UTF-16 code units (4-byte sequences count two).
std::size_t utf16_length(std::string_view text);

}  // namespace progressd::model
