#include "model/merge_patch.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace progressd::model {

namespace json = boost::json;

void apply_merge_patch(json::value& target, const json::value& patch) {
    if (!patch.is_object()) {
        target = patch;
        return;
    }
    if (!target.is_object()) target = json::object();
    auto& object = target.get_object();
    for (const auto& [key, value] : patch.get_object()) {
        if (value.is_null()) {
            // erase() would move the last member into the hole; JavaScript keeps the order.
            object.stable_erase(key);
        } else {
            apply_merge_patch(object[key], value);
        }
    }
}

json::value default_progress(std::string_view session_id, std::string_view timestamp) {
    return json::object{{"sessionId", session_id},
                        {"currentStep", 0.0},
                        {"completedSteps", json::array()},
                        {"currentAction", ""},
                        {"toolStatus", json::object()},
                        {"errors", json::array()},
                        {"timestamp", timestamp},
                        {"phase", "phase1"},
                        {"complete", false}};
}

}  // namespace progressd::model
