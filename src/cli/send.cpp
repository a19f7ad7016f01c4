#include "cli/send.hpp"

#include "cli/http_client.hpp"
#include "cli/terminal_text.hpp"
#include "util/clock.hpp"
#include "util/net.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/algorithm/string/trim.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace progressd::cli {
namespace {

using bhttp::verb;

struct usage_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

//------------------------------------------------------------------------------
// Options → JSON

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

// The merge patch of the progress fields, empty when the options set none.
json::object progress_patch(const send_options& options) {
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
    return patch;
}

//------------------------------------------------------------------------------
// Summaries

// "1 tool", "no errors", "3 entries".
std::string counted(std::uint64_t n, const std::string& one, const std::string& many) {
    if (n == 0) return std::string("no ").append(many);
    std::string text = std::to_string(n);
    text += ' ';
    text += n == 1 ? one : many;
    return text;
}

// Built with append, not `"literal" + std::string`: GCC 12 misreads that operator+ inlined
// here and warns -Warray-bounds about a memcpy it cannot prove in range.
std::string summary(const json::value& progress) {
    const auto& p = progress.as_object();
    std::string line = "step ";
    line += json::serialize(p.at("currentStep"));
    if (const auto* total = p.if_contains("totalSteps")) {
        line += '/';
        line += json::serialize(*total);
    }
    const std::string action(p.at("currentAction").as_string());
    if (!action.empty()) {
        line += ": ";
        line += printable(action);
    }
    line += " (";
    line += counted(p.at("toolStatus").as_object().size(), "tool", "tools");
    line += ", ";
    line += counted(p.at("errors").as_array().size(), "error", "errors");
    if (p.at("complete").as_bool()) line += ", complete";
    line += ')';
    return line;
}

//------------------------------------------------------------------------------
// Write keys

// The key in `path`, or "" when there is no such file.
std::string read_key_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) return {};
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read key file " + path);
    std::ostringstream text;
    text << in.rdbuf();
    std::string key = boost::algorithm::trim_copy(text.str());
    if (key.empty()) throw std::runtime_error("key file " + path + " is empty");
    return key;
}

// Creates `path` readable by its owner only and writes `key` into it. O_EXCL: a key file that
// appeared meanwhile belongs to another send, and is not overwritten.
void write_key_file(const std::string& path, const std::string& key) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        // std::system_category's message is strerror's text without strerror's shared buffer.
        throw std::runtime_error("cannot create key file " + path + ": " +
                                 std::system_category().message(errno));
    }
    const std::string text = key + "\n";
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!written) throw std::runtime_error("cannot write key file " + path);
}

//------------------------------------------------------------------------------
// One send

class sender {
public:
    sender(const std::string& base_url, const std::string& id, const send_options& options,
           std::ostream& err)
        : client_(base_url),
          target_("/api/progress/" + encode_path_segment(id)),
          options_(options),
          err_(err) {
        client_.set_token(options.token);
        key_ = options.write_key.empty() && !options.key_file.empty()
                   ? read_key_file(options.key_file)
                   : options.write_key;
    }

    // PATCHes `patch`; the stored progress, or nullopt after reporting a refusal.
    std::optional<json::value> patch(const json::object& patch) {
        const auto r = write(verb::patch, target_, patch, "application/merge-patch+json");
        if (r.status != 200) return refused("the server", r);
        return json::parse(r.body);
    }

    // Appends `entry` to the error log; the log's size, or nullopt after reporting a refusal.
    std::optional<std::uint64_t> log(const json::object& entry) {
        const auto r = write(verb::post, target_ + "/log", entry, "application/json");
        if (r.status != 200) return refused("the error log", r);
        return json::parse(r.body).at("totalErrors").to_number<std::uint64_t>();
    }

    // The session's current step, for log entries sent without a progress update; 0 for a
    // session that does not exist yet.
    json::value current_step() {
        const auto r = client_.request(verb::get, target_);
        if (r.status != 200) return 0;
        return json::parse(r.body).at("currentStep");
    }

private:
    http_response write(verb method, const std::string& target, const json::object& body,
                        const char* content_type) {
        header_list headers{{"Content-Type", content_type}};
        if (!key_.empty()) headers.emplace_back("X-Write-Key", key_);
        auto r = client_.request(method, target, json::serialize(body), headers);
        keep(r.header("x-write-key"));
        return r;
    }

    // The server claimed the session for us: the key must outlive this process, or the next
    // send of the script is locked out.
    void keep(const std::string& new_key) {
        if (new_key.empty() || new_key == key_) return;
        key_ = new_key;
        if (options_.key_file.empty()) {
            err_ << "progressctl: the server gave this session a write key that later sends "
                    "need; pass --key-file FILE to keep it\n";
            return;
        }
        write_key_file(options_.key_file, new_key);
    }

    std::nullopt_t refused(const char* who, const http_response& r) {
        err_ << "progressctl: " << who << " answered " << r.status << ": " << printable(r.body)
             << "\n";
        return std::nullopt;
    }

    http_client client_;
    std::string target_;
    const send_options& options_;
    std::ostream& err_;
    std::string key_;
};

bool sends_nothing(const send_options& o) {
    return !o.step && !o.total && !o.action && o.tools.empty() && o.errors.empty() && !o.complete;
}

int send(const std::string& base_url, const std::string& id, const send_options& options,
         std::ostream& out, std::ostream& err) {
    if (sends_nothing(options)) {
        throw usage_error(
            "nothing to send: give at least one of --step, --total, --action, --tool, --error "
            "or --complete");
    }
    const json::object patch = progress_patch(options);
    std::vector<json::object> entries;
    for (const auto& spec : options.errors) entries.push_back(parse_error(spec));

    sender s(base_url, id, options, err);
    std::optional<json::value> stored;
    if (!patch.empty()) {
        stored = s.patch(patch);
        if (!stored) return 1;
    }
    std::uint64_t logged = 0;
    if (!entries.empty()) {
        const json::value step = stored ? stored->at("currentStep") : s.current_step();
        for (auto& entry : entries) {
            entry["timestamp"] = to_iso8601(std::chrono::system_clock::now());
            entry["step"] = step;
            const auto total = s.log(entry);
            if (!total) return 1;
            logged = *total;
        }
    }
    std::string line = stored ? summary(*stored) : "";
    if (!entries.empty()) {
        line += line.empty() ? "logged " : "; logged ";
        line += counted(entries.size(), "error", "errors");
        line += " (";
        line += counted(logged, "entry", "entries");
        line += " in the error log)";
    }
    out << line << "\n";
    return 0;
}

}  // namespace

int run_send(const std::string& base_url, const std::string& id, const send_options& options,
             std::ostream& out, std::ostream& err) {
    try {
        return send(base_url, id, options, out, err);
    } catch (const std::invalid_argument& e) {  // a bad option or base URL
        err << "progressctl: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        err << "progressctl: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace progressd::cli
