#include "model/validation.hpp"

#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace progressd::model {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 5> tool_state_names = {"pending", "installing", "success",
                                                              "error", "skipped"};
constexpr std::array<std::string_view, 2> phase_names = {"phase1", "phase2"};

std::string_view javascript_type(const json::value* v) {
    if (v == nullptr) return "undefined";
    switch (v->kind()) {
        case json::kind::null:
            return "null";
        case json::kind::bool_:
            return "boolean";
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_:
            return "number";
        case json::kind::string:
            return "string";
        case json::kind::array:
            return "array";
        case json::kind::object:
            return "object";
    }
    return "undefined";
}

// True for the keys JavaScript orders first in an object: canonical array indices 0…2^32−2.
bool is_array_index(std::string_view key) {
    if (key.empty() || key.size() > 10) return false;
    if (key.size() > 1 && key[0] == '0') return false;
    std::uint64_t value = 0;
    for (const char c : key) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value <= 4294967294ULL;
}

// Walks one document, keeping the path of the value being checked and collecting issues.
class validator {
public:
    issue_list take_issues() { return std::move(issues_); }
    bool failed() const { return !issues_.empty(); }

    // Runs `check()` with `segment` appended to the path of every issue it reports.
    template <class Check>
    void at(path_segment segment, Check&& check) {
        path_.push_back(std::move(segment));
        check();
        path_.pop_back();
    }

    // Looks up `key` in `object` and checks it with `check(value_or_null)` under that path.
    template <class Check>
    void field(const json::object& object, std::string_view key, Check&& check) {
        at(std::string(key), [&] { check(object.if_contains(key)); });
    }

    const json::object* object(const json::value* v, std::string_view expected = "object") {
        if (v != nullptr && v->is_object()) return &v->get_object();
        wrong_type(v, expected);
        return nullptr;
    }

    const json::array* array(const json::value* v) {
        if (v != nullptr && v->is_array()) return &v->get_array();
        wrong_type(v, "array");
        return nullptr;
    }

    void string(const json::value* v, std::string& out) {
        if (v != nullptr && v->is_string()) {
            out.assign(v->get_string().data(), v->get_string().size());
        } else {
            wrong_type(v, "string");
        }
    }

    void nullable_string(const json::value* v, optional_nullable_string& out) {
        if (v == nullptr) return;  // optional: absent is fine and stays absent
        if (v->is_null()) {
            out.emplace(std::nullopt);
        } else if (v->is_string()) {
            out.emplace(std::string(v->get_string().data(), v->get_string().size()));
        } else {
            wrong_type(v, "string");
        }
    }

    void number(const json::value* v, double& out) {
        if (v != nullptr && v->is_double() && std::isfinite(v->get_double())) {
            out = v->get_double();
            return;
        }
        // Zod 4 reports a non-finite number with an extra key, and still calls it a "number".
        wrong_type(v, "number", v != nullptr && v->is_double());
    }

    void boolean(const json::value* v, bool& out) {
        if (v != nullptr && v->is_bool()) {
            out = v->get_bool();
        } else {
            wrong_type(v, "boolean");
        }
    }

    // Checks a z.enum: `out` becomes the index of the matching name.
    template <class Enum, std::size_t N>
    void one_of(const json::value* v, const std::array<std::string_view, N>& names, Enum& out) {
        if (v != nullptr && v->is_string()) {
            const std::string_view text(v->get_string().data(), v->get_string().size());
            const auto it = std::find(names.begin(), names.end(), text);
            if (it != names.end()) {
                out = static_cast<Enum>(it - names.begin());
                return;
            }
        }
        if (!issues_.has_room()) {
            ++issues_.omitted;
            return;
        }
        issue i;
        i.code = issue::code_kind::invalid_value;
        i.path = path_;
        i.values = names;
        issues_.push_back(std::move(i));
    }

private:
    // Past the cap an issue is only counted: no path copy, so a body of 30,000 wrong elements
    // costs a walk, not 30,000 allocations.
    void wrong_type(const json::value* v, std::string_view expected, bool infinity = false) {
        if (!issues_.has_room()) {
            ++issues_.omitted;
            return;
        }
        issue i;
        i.code = issue::code_kind::invalid_type;
        i.path = path_;
        i.expected = expected;
        i.received = javascript_type(v);
        i.received_infinity = infinity;
        issues_.push_back(std::move(i));
    }

    std::vector<path_segment> path_;
    issue_list issues_;
};

void check_tool_status(validator& check, const json::value* v, tool_status& out) {
    const json::object* object = check.object(v);
    if (object == nullptr) return;
    check.field(*object, "status", [&](auto* f) { check.one_of(f, tool_state_names, out.status); });
    check.field(*object, "version", [&](auto* f) { check.nullable_string(f, out.version); });
    check.field(*object, "error", [&](auto* f) { check.nullable_string(f, out.error); });
}

// The keys of a record in the order JavaScript enumerates them (see tool_status_map).
std::vector<const json::key_value_pair*> in_javascript_order(const json::object& object) {
    std::vector<const json::key_value_pair*> entries;
    entries.reserve(object.size());
    for (const auto& entry : object) entries.push_back(&entry);
    const auto index_first = std::stable_partition(
        entries.begin(), entries.end(), [](auto* e) { return is_array_index(e->key()); });
    std::sort(entries.begin(), index_first, [](auto* a, auto* b) {
        return a->key().size() != b->key().size() ? a->key().size() < b->key().size()
                                                  : a->key() < b->key();
    });
    return entries;
}

void check_tool_status_map(validator& check, const json::value* v, tool_status_map& out) {
    const json::object* object = check.object(v, "record");
    if (object == nullptr) return;
    out.reserve(object->size());
    for (const auto* entry : in_javascript_order(*object)) {
        const std::string_view key(entry->key().data(), entry->key().size());
        // Zod's record parser skips this key outright (it guards against prototype pollution),
        // so the original neither checked nor stored such an entry.
        if (key == "__proto__") continue;
        tool_status status;
        check.at(std::string(key), [&] { check_tool_status(check, &entry->value(), status); });
        // A failed document is never returned: keep checking, but stop copying.
        if (!check.failed()) out.emplace_back(std::string(key), std::move(status));
    }
}

void check_progress_error(validator& check, const json::value* v, progress_error& out) {
    const json::object* object = check.object(v);
    if (object == nullptr) return;
    check.field(*object, "tool", [&](auto* f) { check.string(f, out.tool); });
    check.field(*object, "error", [&](auto* f) { check.string(f, out.error); });
    check.field(*object, "suggestedFix", [&](auto* f) { check.string(f, out.suggested_fix); });
}

template <class T, class CheckElement>
void check_array(validator& check, const json::value* v, std::vector<T>& out,
                 CheckElement&& check_element) {
    const json::array* array = check.array(v);
    if (array == nullptr) return;
    // A failed document is never returned, so its elements are checked into a scratch value
    // rather than kept (32,000 wrong elements would otherwise build 32,000 values).
    T scratch{};
    for (std::size_t i = 0; i < array->size(); ++i) {
        T& element = check.failed() ? scratch : out.emplace_back();
        check.at(i, [&] { check_element(&(*array)[i], element); });
    }
}

}  // namespace

validated<progress> validate_progress(const json::value& body) {
    validator check;
    progress out;
    const json::object* object = check.object(&body);
    if (object == nullptr) return check.take_issues();

    const auto& o = *object;
    check.field(o, "sessionId", [&](auto* f) { check.string(f, out.session_id); });
    check.field(o, "currentStep", [&](auto* f) { check.number(f, out.current_step); });
    check.field(o, "completedSteps", [&](auto* f) {
        check_array(check, f, out.completed_steps,
                    [&](const json::value* e, double& step) { check.number(e, step); });
    });
    check.field(o, "currentAction", [&](auto* f) { check.string(f, out.current_action); });
    check.field(o, "toolStatus",
                [&](auto* f) { check_tool_status_map(check, f, out.tool_status); });
    check.field(o, "errors", [&](auto* f) {
        check_array(check, f, out.errors, [&](const json::value* e, progress_error& error) {
            check_progress_error(check, e, error);
        });
    });
    check.field(o, "timestamp", [&](auto* f) { check.string(f, out.timestamp); });
    check.field(o, "phase", [&](auto* f) { check.one_of(f, phase_names, out.phase); });
    check.field(o, "complete", [&](auto* f) { check.boolean(f, out.complete); });
    check.field(o, "totalSteps", [&](auto* f) {
        if (f == nullptr) return;  // optional
        double total = 0;
        check.number(f, total);
        out.total_steps = total;
    });

    if (check.failed()) return check.take_issues();
    return out;
}

validated<log_entry> validate_log_entry(const json::value& body) {
    validator check;
    log_entry out;
    const json::object* object = check.object(&body);
    if (object == nullptr) return check.take_issues();

    const auto& o = *object;
    check.field(o, "tool", [&](auto* f) { check.string(f, out.tool); });
    check.field(o, "error", [&](auto* f) { check.string(f, out.error); });
    check.field(o, "suggestedFix", [&](auto* f) { check.string(f, out.suggested_fix); });
    check.field(o, "timestamp", [&](auto* f) { check.string(f, out.timestamp); });
    check.field(o, "step", [&](auto* f) { check.number(f, out.step); });

    if (check.failed()) return check.take_issues();
    return out;
}

}  // namespace progressd::model
