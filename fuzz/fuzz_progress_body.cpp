// A request body, as POST /api/progress/{id}, POST …/log and PATCH receive it: charset decoding
// (model/text_encoding), JSON parsing (model/json_text), validation as ProgressData and as
// ErrorLogEntry (model/validation), quotas (model/quotas), JSON Merge Patch (model/merge_patch)
// and serialization (model/serialize).
//
// Invariants, each checked on every input:
// - every charset decoding yields valid UTF-8, drops one leading byte order mark, and leaves
//   text that needs no decoding alone;
// - whatever validates serializes to valid UTF-8 JSON that parses, validates again, and
//   serializes to the same bytes (so a stored body reads back exactly as it was accepted);
// - a value's sessionId is the body's own; whatever is refused has issues, whose JSON parses;
// - quota issues are well-formed JSON, and tighter limits never report fewer issues;
// - a merge patch obeys RFC 7386 (null members removed, other members set, untouched keys kept,
//   a non-object patch replaces the document) and applying it twice changes nothing more.
#include "fuzz_check.hpp"

#include "model/issues.hpp"
#include "model/merge_patch.hpp"
#include "model/quotas.hpp"
#include "model/serialize.hpp"
#include "model/validation.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace progressd::fuzz {
namespace {

namespace json = boost::json;

// A realistic stored progress (tests/js/bodies.mjs) that patches apply to, besides the default
// progress of a new session.
constexpr std::string_view stored_progress =
    R"({"sessionId":"fuzz","currentStep":2,"completedSteps":[1],"currentAction":"Installing Git",)"
    R"("toolStatus":{"git":{"status":"installing","version":null},"node":{"status":"success",)"
    R"("version":"20.1.0"}},"errors":[],"timestamp":"2026-11-26T12:00:00.000Z","phase":"phase1",)"
    R"("complete":false})";

void check_issues_json(const model::issue_list& issues) {
    std::string out;
    model::append_issues_json(out, issues);
    FUZZ_CHECK_MSG(is_json(out), out);
    const auto parsed = model::parse_json(out);
    const auto& array = std::get<json::value>(parsed);
    FUZZ_CHECK_MSG(array.is_array() && array.get_array().size() == issues.size(), out);
    for (const auto& element : array.get_array()) {
        FUZZ_CHECK_MSG(element.is_object() && element.get_object().contains("code") &&
                           element.get_object().contains("path") &&
                           element.get_object().contains("message"),
                       out);
    }
}

template <class T>
void check_quotas_of(const T& value) {
    const auto normal = model::check_quotas(value, model::quota_limits{});
    const auto tight = model::check_quotas(value, model::quota_limits{1, 1, 1, 1, 1, 1, 1});
    FUZZ_CHECK(tight.size() >= normal.size());
    for (const auto& i : normal) FUZZ_CHECK(i.code == model::issue::code_kind::too_big);
    if (!normal.empty()) check_issues_json(normal);
    if (!tight.empty()) check_issues_json(tight);
}

// `value` was accepted: it must survive serialization → parsing → validation unchanged.
template <class T>
void check_round_trip(const T& value, model::validated<T> (*validate)(const json::value&)) {
    check_quotas_of(value);
    const std::string text = model::to_json(value);
    FUZZ_CHECK_MSG(model::is_valid_utf8(text), text);
    auto reparsed = model::parse_json(text);
    const auto* document = std::get_if<json::value>(&reparsed);
    FUZZ_CHECK_MSG(document != nullptr, text);
    auto again = validate(*document);
    const auto* revalidated = std::get_if<T>(&again);
    FUZZ_CHECK_MSG(revalidated != nullptr, text);
    const std::string text_again = model::to_json(*revalidated);
    FUZZ_CHECK_MSG(text_again == text, text + "\n  became " + text_again);
}

// Validates `document` both ways; returns whether it is a valid ProgressData.
bool check_validation(const json::value& document) {
    auto progress = model::validate_progress(document);
    bool accepted = false;
    if (const auto* p = std::get_if<model::progress>(&progress)) {
        accepted = true;
        const auto* object = document.if_object();
        FUZZ_CHECK(object != nullptr);
        const auto* id = object->if_contains("sessionId");
        FUZZ_CHECK(id != nullptr && id->is_string() &&
                   std::string_view(id->get_string()) == std::string_view(p->session_id));
        check_round_trip(*p, model::validate_progress);
    } else {
        const auto& issues = std::get<model::issue_list>(progress);
        FUZZ_CHECK(!issues.empty());
        check_issues_json(issues);
    }
    auto entry = model::validate_log_entry(document);
    if (const auto* e = std::get_if<model::log_entry>(&entry)) {
        FUZZ_CHECK(document.is_object());
        check_round_trip(*e, model::validate_log_entry);
    } else {
        const auto& issues = std::get<model::issue_list>(entry);
        FUZZ_CHECK(!issues.empty());
        check_issues_json(issues);
    }
    return accepted;
}

// RFC 7386 on one level: what `patch` says about each key of the result.
void check_merge(const json::value& before, const json::value& after, const json::value& patch) {
    if (!patch.is_object()) {
        FUZZ_CHECK(after == patch);
        return;
    }
    FUZZ_CHECK(after.is_object());
    const auto& result = after.get_object();
    for (const auto& [key, value] : patch.get_object()) {
        if (value.is_null()) {
            FUZZ_CHECK(!result.contains(key));
        } else {
            FUZZ_CHECK(result.contains(key));
            if (!value.is_object()) FUZZ_CHECK(result.at(key) == value);
        }
    }
    if (const auto* original = before.if_object()) {
        for (const auto& [key, value] : *original) {
            if (!patch.get_object().contains(key)) {
                FUZZ_CHECK(result.contains(key) && result.at(key) == value);
            }
        }
    }
}

void check_patch(const json::value& base, const json::value& patch) {
    json::value document = base;
    model::apply_merge_patch(document, patch);
    check_merge(base, document, patch);
    json::value twice = document;
    model::apply_merge_patch(twice, patch);
    FUZZ_CHECK(twice == document);
    check_validation(document);
}

// The body's text as the server reads it with each kind of Content-Type.
void check_decodings(std::string_view body) {
    const bool valid = decode_utf8(body).has_value();
    FUZZ_CHECK(model::is_valid_utf8(body) == valid);
    // A leading UTF-8 byte order mark is dropped whatever the charset says.
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    const bool has_bom = body.starts_with(bom);
    const std::string_view content = has_bom ? body.substr(bom.size()) : body;
    bool ascii = true;
    for (const char c : body) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    constexpr std::array<std::string_view, 6> content_types = {
        "",
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=\"UTF-8\"",
        "application/json; charset=windows-1252",
        "text/plain; format=x; charset=latin1"};
    for (std::size_t i = 0; i < content_types.size(); ++i) {
        const auto decoded = model::to_utf8_text(body, content_types[i]);
        const std::string_view text = decoded ? std::string_view(*decoded) : body;
        FUZZ_CHECK(model::is_valid_utf8(text));
        if (i < 4 && valid) {  // valid UTF-8 is used as it is
            FUZZ_CHECK(has_bom ? decoded && *decoded == content : !decoded);
        }
        if (i >= 4) FUZZ_CHECK(decoded && decoded->size() >= content.size());
        if (ascii) FUZZ_CHECK(text == body);
        FUZZ_CHECK(!text.starts_with(bom) || content.starts_with(bom));  // one BOM at most
    }
}

}  // namespace
}  // namespace progressd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    progressd::fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace progressd;
    namespace json = boost::json;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    fuzz::check_decodings(body);

    // As the API does it: a body that is not UTF-8 and names no charset is Windows-1252.
    const auto decoded = model::to_utf8_text(body, "application/json");
    auto parsed = model::parse_json(decoded ? std::string_view(*decoded) : body);
    if (const auto* error = std::get_if<model::json_syntax_error>(&parsed)) {
        FUZZ_CHECK(!error->message.empty());
        FUZZ_CHECK(error->position <= (decoded ? decoded->size() : body.size()));
        return 0;
    }
    const auto& document = std::get<json::value>(parsed);
    fuzz::check_validation(document);

    static const json::value stored =
        std::get<json::value>(model::parse_json(fuzz::stored_progress));
    static const json::value fresh = model::default_progress("fuzz", "2026-11-26T12:00:00.000Z");
    FUZZ_CHECK(std::holds_alternative<model::progress>(model::validate_progress(stored)));
    FUZZ_CHECK(std::holds_alternative<model::progress>(model::validate_progress(fresh)));
    fuzz::check_patch(stored, document);
    fuzz::check_patch(fresh, document);
    return 0;
}
