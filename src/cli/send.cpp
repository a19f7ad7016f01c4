#include "cli/send.hpp"

#include "cli/http_client.hpp"
#include "util/clock.hpp"
#include "util/net.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace progressd::cli {
namespace {

using bhttp::verb;

struct usage_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// NAME=STATUS[:VERSION] → {"NAME": {"status": STATUS, "version": VERSION}}.
void add_tool(json::object& tools, const std::string& spec) {
    const auto equals = spec.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == spec.size()) {
        throw usage_error("--tool wants NAME=STATUS[:VERSION], not '" + spec + "'");
    }
    const std::string name = spec.substr(0, equals);
    const std::string rest = spec.substr(equals + 1);
    const auto colon = rest.find(':');
    json::object tool{{"status", rest.substr(0, colon)}};
    if (colon != std::string::npos) tool["version"] = rest.substr(colon + 1);
    tools[name] = std::move(tool);
}

// TOOL:MESSAGE:FIX, where the message may itself contain colons: the tool ends at the first
// colon and the fix starts after the last one.
json::object parse_error(const std::string& spec) {
    const auto first = spec.find(':');
    const auto last = spec.rfind(':');
    if (first == std::string::npos || first == last || first == 0) {
        throw usage_error("--error wants TOOL:MESSAGE:FIX, not '" + spec + "'");
    }
    return {{"tool", spec.substr(0, first)},
            {"error", spec.substr(first + 1, last - first - 1)},
            {"suggestedFix", spec.substr(last + 1)}};
}

std::string summary(const json::value& progress) {
    const auto& p = progress.as_object();
    std::string line = "step " + json::serialize(p.at("currentStep"));
    if (const auto* total = p.if_contains("totalSteps")) line += "/" + json::serialize(*total);
    line += ": " + std::string(p.at("currentAction").as_string());
    line += " (" + std::to_string(p.at("toolStatus").as_object().size()) + " tools, " +
            std::to_string(p.at("errors").as_array().size()) + " errors";
    if (p.at("complete").as_bool()) line += ", complete";
    return line + ")";
}

}  // namespace

int run_send(const std::string& base_url, const std::string& id, const send_options& options,
             std::ostream& out, std::ostream& err) {
    try {
        json::object patch;
        if (options.step) patch["currentStep"] = *options.step;
        if (options.total) patch["totalSteps"] = *options.total;
        if (options.action) patch["currentAction"] = *options.action;
        if (!options.tools.empty()) {
            json::object tools;
            for (const auto& spec : options.tools) add_tool(tools, spec);
            patch["toolStatus"] = std::move(tools);
        }
        if (options.complete) patch["complete"] = true;

        http_client client(base_url);
        const std::string target = "/api/progress/" + encode_path_segment(id);
        std::vector<json::object> new_errors;
        for (const auto& spec : options.errors) new_errors.push_back(parse_error(spec));
        if (!new_errors.empty()) {
            json::array errors;
            const auto current = client.request(verb::get, target);
            if (current.status == 200) errors = json::parse(current.body).at("errors").as_array();
            for (const auto& e : new_errors) errors.push_back(e);
            patch["errors"] = std::move(errors);
        }

        const auto r = client.request(verb::patch, target, json::serialize(patch),
                                      {{"Content-Type", "application/merge-patch+json"}});
        if (r.status != 200) {
            err << "progressctl: the server answered " << r.status << ": " << r.body << "\n";
            return 1;
        }
        const auto stored = json::parse(r.body);
        for (const auto& e : new_errors) {
            json::object entry = e;
            entry["timestamp"] = to_iso8601(std::chrono::system_clock::now());
            entry["step"] = stored.at("currentStep");
            const auto logged = client.request(verb::post, target + "/log", json::serialize(entry));
            if (logged.status != 200) {
                err << "progressctl: the error log answered " << logged.status << ": "
                    << logged.body << "\n";
                return 1;
            }
        }
        out << summary(stored) << "\n";
        return 0;
    } catch (const std::invalid_argument& e) {  // a bad option or base URL
        err << "progressctl: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        err << "progressctl: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace progressd::cli
