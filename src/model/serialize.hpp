// ProgressData and ErrorLogEntry as compact JSON in schema order, the bytes the original app
// returned (JSON.stringify of Zod's output). Stores keep these bytes and serve them as they are.
#pragma once

#include "model/progress.hpp"

#include <string>

namespace progressd::model {

/// Example: to_json(progress{.session_id = "s1", ...}) ==
///   R"({"sessionId":"s1","currentStep":0,"completedSteps":[],...,"complete":false})"
std::string to_json(const progress& p);
std::string to_json(const log_entry& e);

}  // namespace progressd::model
