// JSON Merge Patch (RFC 7386), and the progress a PATCH starts from when the session is new.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace progressd::model {

/// Applies `patch` to `target` as RFC 7386 says: an object patch merges key by key, a null
/// member removes that key, anything else replaces the target.
/// Example: {"a":1,"b":{"c":2}} patched with {"b":{"c":null,"d":3}} is {"a":1,"b":{"d":3}}.
void apply_merge_patch(boost::json::value& target, const boost::json::value& patch);

/// The progress of a session nobody has written yet: step 0, nothing done, phase1, not
/// complete, `timestamp` as given (ISO 8601).
boost::json::value default_progress(std::string_view session_id, std::string_view timestamp);

}  // namespace progressd::model
