// The smoke flow of `progressctl check`. It relies only on what the original Next.js app did
// (its status codes and bodies), so the same check vouches for either implementation.
#include "cli/smoke_check.hpp"

#include "cli/http_client.hpp"
#include "cli/terminal_text.hpp"
#include "util/clock.hpp"
#include "util/net.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <random>
#include <stdexcept>

namespace progressd::cli {
namespace {

using bhttp::verb;

// Why a step failed, or nullopt when it passed.
using step_outcome = std::optional<std::string>;

// Failure reasons quote what the server said; keep each report to one readable line.
constexpr std::size_t max_excerpt_chars = 120;

const std::string simulated_error = "progressctl check: simulated failure";
const std::string simulated_fix = "nothing to fix, progressctl check sent this";

//------------------------------------------------------------------------------
// Test data

std::string random_hex(std::size_t digits) {
    std::random_device entropy;
    std::mt19937_64 generator(entropy());
    std::uniform_int_distribution<int> digit(0, 15);
    std::string out;
    for (std::size_t i = 0; i < digits; ++i) out += "0123456789abcdef"[digit(generator)];
    return out;
}

json::object initial_progress(const std::string& id, const std::string& timestamp) {
    return {{"sessionId", id},
            {"currentStep", 1},
            {"completedSteps", json::array()},
            {"currentAction", "Starting setup"},
            {"toolStatus", json::object{{"git", json::object{{"status", "pending"}}}}},
            {"errors", json::array()},
            {"timestamp", timestamp},
            {"phase", "phase1"},
            {"complete", false}};
}

json::object progress_with_error(const std::string& id, const std::string& timestamp) {
    json::object p = initial_progress(id, timestamp);
    p["currentStep"] = 2;
    p["completedSteps"] = json::array{1};
    p["currentAction"] = "Installing git";
    p["toolStatus"] =
        json::object{{"git", json::object{{"status", "error"}, {"error", simulated_error}}}};
    p["errors"] = json::array{
        json::object{{"tool", "git"}, {"error", simulated_error}, {"suggestedFix", simulated_fix}}};
    return p;
}

json::object log_entry(const std::string& timestamp) {
    return {{"tool", "git"},
            {"error", simulated_error},
            {"suggestedFix", simulated_fix},
            {"timestamp", timestamp},
            {"step", 2}};
}

//------------------------------------------------------------------------------
// Comparing answers

// `text` on one line, safe for a terminal (see terminal_text.hpp), cut to max_excerpt_chars.
std::string excerpt(std::string_view text) {
    std::string out = printable(text.substr(0, max_excerpt_chars));
    if (text.size() > max_excerpt_chars) out += "...";
    if (out.empty()) out = "an empty body";
    return out;
}

// The first place where `actual` differs from `expected`, naming its path ("toolStatus.git"),
// or nullopt when they are equal as JSON (key order does not matter). With `allow_extra_keys`,
// `actual`'s top-level object may have keys that `expected` lacks.
step_outcome json_difference(const json::value& expected, const json::value& actual,
                             bool allow_extra_keys = false, const std::string& path = "") {
    const std::string where = path.empty() ? "body" : path;
    if (!expected.is_object() || !actual.is_object()) {
        if (expected == actual) return std::nullopt;
        return where + " is " + excerpt(json::serialize(actual)) + ", expected " +
               excerpt(json::serialize(expected));
    }
    for (const auto& [key, value] : expected.get_object()) {
        const std::string key_path =
            path.empty() ? std::string(key) : path + "." + std::string(key);
        const auto* found = actual.get_object().if_contains(key);
        if (!found) return key_path + " is missing";
        if (auto difference = json_difference(value, *found, false, key_path)) return difference;
    }
    if (allow_extra_keys) return std::nullopt;
    for (const auto& [key, value] : actual.get_object()) {
        if (!expected.get_object().contains(key)) {
            return "unexpected " + where + " key " + std::string(key);
        }
    }
    return std::nullopt;
}

// Checks that `r` has `status` and a JSON body equal to `expected` (see json_difference).
step_outcome expect_json(const http_response& r, unsigned status, const json::value& expected,
                         bool allow_extra_keys = false) {
    if (r.status != status) {
        return "expected status " + std::to_string(status) + ", got " + std::to_string(r.status) +
               " with " + excerpt(r.body);
    }
    boost::system::error_code ec;
    const json::value actual = json::parse(r.body, ec);
    if (ec) return "expected JSON, got " + excerpt(r.body);
    // Under --session-keys the first write also hands over the session's key; that is the
    // server's own security at work, not a difference from the original API.
    if (!r.header("x-write-key").empty() && actual.is_object()) {
        json::value without_key = actual;
        without_key.as_object().erase("writeKey");
        return json_difference(expected, without_key, allow_extra_keys);
    }
    return json_difference(expected, actual, allow_extra_keys);
}

json::object success_body(const std::string& id) { return {{"success", true}, {"sessionId", id}}; }

//------------------------------------------------------------------------------
// Running steps

class smoke_run {
public:
    smoke_run(const std::string& base_url, std::ostream& out, const std::string& token)
        : client_(base_url), out_(out), id_("smoke-" + random_hex(12)) {
        client_.set_token(token);
    }

    const std::string& id() const { return id_; }
    std::string progress_path() const { return "/api/progress/" + encode_path_segment(id_); }
    std::string log_path() const { return progress_path() + "/log"; }

    http_response post(const std::string& target, const json::value& body) {
        header_list headers{{"Content-Type", "application/json"}};
        if (!write_key_.empty()) headers.emplace_back("X-Write-Key", write_key_);
        auto r = client_.request(verb::post, target, json::serialize(body), headers);
        if (const auto key = r.header("x-write-key"); !key.empty()) write_key_ = key;
        return r;
    }
    http_response get(const std::string& target) { return client_.request(verb::get, target); }

    // Runs `check` and prints its line. A transport error fails this step only; when nothing
    // answers at all, later steps would only say so again, so the check stops.
    void step(std::string_view title, const std::function<step_outcome()>& check) {
        if (unreachable_) return;
        step_outcome failure;
        try {
            failure = check();
        } catch (const unreachable_error& e) {
            unreachable_ = true;
            out_ << e.what() << '\n';
            return;
        } catch (const std::runtime_error& e) {
            failure = e.what();
        }
        if (failure) {
            ++failed_;
            out_ << "✗ " << title << ": " << *failure << '\n';
        } else {
            ++passed_;
            out_ << "✓ " << title << '\n';
        }
    }

    int finish() {
        if (unreachable_) return 1;
        out_ << passed_ << " passed, " << failed_ << " failed" << std::endl;
        return failed_ == 0 ? 0 : 1;
    }

private:
    http_client client_;
    std::ostream& out_;
    std::string id_;
    std::string write_key_;
    bool unreachable_ = false;
    int passed_ = 0;
    int failed_ = 0;
};

}  // namespace

int run_smoke_check(const std::string& base_url, std::ostream& out, const std::string& token) {
    smoke_run run(base_url, out, token);
    const std::string& id = run.id();
    const std::string progress = run.progress_path();
    const std::string log = run.log_path();
    const auto now = [] { return to_iso8601(std::chrono::system_clock::now()); };
    out << "checking " << base_url << " with session " << id << '\n';

    const json::object initial = initial_progress(id, now());
    run.step("POST " + progress + " stores the initial progress",
             [&] { return expect_json(run.post(progress, initial), 200, success_body(id)); });
    run.step("GET " + progress + " returns it unchanged",
             [&] { return expect_json(run.get(progress), 200, initial); });

    const json::object update = progress_with_error(id, now());
    run.step(
        "POST " + progress + " replaces it with an update carrying an error",
        [&]() -> step_outcome {
            if (auto failure = expect_json(run.post(progress, update), 200, success_body(id))) {
                return "POST: " + *failure;
            }
            if (auto failure = expect_json(run.get(progress), 200, update)) {
                return "GET afterwards: " + *failure;
            }
            return std::nullopt;
        });

    const json::object entry = log_entry(now());
    run.step("POST " + log + " appends an error log entry", [&] {
        const json::object counted{{"success", true}, {"totalErrors", 1}};
        return expect_json(run.post(log, entry), 200, counted, true);
    });
    run.step("GET " + log + " returns that entry", [&] {
        return expect_json(run.get(log), 200, json::object{{"errors", json::array{entry}}});
    });

    const std::string unknown = "/api/progress/" + encode_path_segment("smoke-" + random_hex(12));
    run.step("GET " + unknown + " answers 404 for an unknown session", [&] {
        return expect_json(run.get(unknown), 404, json::object{{"error", "Session not found"}});
    });
    return run.finish();
}

}  // namespace progressd::cli
