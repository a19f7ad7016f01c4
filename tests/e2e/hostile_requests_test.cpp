// A catalogue of hostile and malformed requests against one real progressd per suite. Each entry
// is the exact bytes sent, the answers expected (status and body), and afterwards: a stored
// session ("victim") is byte-identical, the session the request aimed at does not exist (unless
// the entry is valid by design, and then exactly what was stored is checked), and /healthz still
// answers on a new connection.
#include "e2e/e2e_support.hpp"
#include "support/raw_http.hpp"

#include <boost/json/parse.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace progressd::testing {
namespace {

using namespace std::chrono_literals;

//------------------------------------------------------------------------------
// Reading answers

struct answer {
    int status = 0;
    std::string version;                         ///< "HTTP/1.1"
    std::map<std::string, std::string> headers;  ///< names in lower case
    std::string body;
};

std::string header(const answer& a, const std::string& name) {
    const auto it = a.headers.find(name);
    return it == a.headers.end() ? std::string() : it->second;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Splits a byte stream of responses (Content-Length framed, as progressd frames all but event
// streams) into answers. A response cut short ends the list with what arrived of it.
std::vector<answer> parse_answers(std::string_view stream) {
    std::vector<answer> answers;
    while (!stream.empty()) {
        const auto head_end = stream.find("\r\n\r\n");
        if (head_end == std::string_view::npos || !stream.starts_with("HTTP/")) {
            answers.push_back({-1, {}, {}, std::string(stream)});  // not HTTP: fails any check
            break;
        }
        answer a;
        const std::string_view head = stream.substr(0, head_end);
        a.version = std::string(head.substr(0, 8));
        a.status = std::stoi(std::string(head.substr(9, 3)));
        std::size_t at = head.find("\r\n");
        while (at != std::string_view::npos && at < head.size()) {
            const auto next = head.find("\r\n", at + 2);
            const auto line = head.substr(
                at + 2, next == std::string_view::npos ? std::string_view::npos : next - at - 2);
            const auto colon = line.find(':');
            if (colon != std::string_view::npos) {
                auto value = line.substr(colon + 1);
                while (value.starts_with(' ')) value.remove_prefix(1);
                a.headers[lower(line.substr(0, colon))] = std::string(value);
            }
            at = next;
        }
        stream.remove_prefix(head_end + 4);
        const bool bodiless = a.status < 200 || a.status == 204 || a.status == 304;
        const std::size_t length =
            bodiless || !a.headers.contains("content-length")
                ? 0
                : std::min(stream.size(), std::stoul(a.headers["content-length"]));
        a.body = std::string(stream.substr(0, length));
        stream.remove_prefix(length);
        answers.push_back(std::move(a));
    }
    return answers;
}

// Writes `bytes`, closes the sending side (the client "goes away" mid-request), and reads
// until the server closes its side too, so the server is done with the request on return.
std::string send_then_half_close(unsigned short port, std::string_view bytes) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        throw std::runtime_error("cannot connect to the test server");
    }
    (void)send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    std::string received;
    char buffer[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0) break;
        const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        received.append(buffer, static_cast<std::size_t>(n));
    }
    close(fd);
    return received;
}

//------------------------------------------------------------------------------
// Building requests and expected bodies

constexpr std::string_view fields[] = {"sessionId",     "currentStep", "completedSteps",
                                       "currentAction", "toolStatus",  "errors",
                                       "timestamp",     "phase",       "complete"};

// A ProgressData body in the order a GET returns it, with `field` set to the JSON text `value`
// (a field not in the list, e.g. "totalSteps", is appended). What progressd stores for a valid
// one is byte-identical to it.
std::string progress(std::string_view id, std::string_view field = {},
                     std::string_view value = {}) {
    const std::map<std::string_view, std::string> base = {
        {"sessionId", "\"" + std::string(id) + "\""},
        {"currentStep", "2"},
        {"completedSteps", "[1]"},
        {"currentAction", R"("Installing Git")"},
        {"toolStatus", R"({"git":{"status":"installing","version":null}})"},
        {"errors", "[]"},
        {"timestamp", R"("2026-11-26T12:00:00.000Z")"},
        {"phase", R"("phase1")"},
        {"complete", "false"}};
    std::string out = "{";
    for (const auto name : fields) {
        if (out.size() > 1) out += ',';
        out +=
            '"' + std::string(name) + "\":" + (name == field ? std::string(value) : base.at(name));
    }
    if (!field.empty() && !base.contains(field)) {
        out += ",\"" + std::string(field) + "\":" + std::string(value);
    }
    return out + "}";
}

// An ErrorLogEntry with `field` set to the JSON text `value`.
std::string log_entry(std::string_view field = {}, std::string_view value = {}) {
    const std::pair<std::string_view, std::string_view> base[] = {
        {"tool", R"("git")"},
        {"error", R"("exit code 1")"},
        {"suggestedFix", R"("Run as administrator")"},
        {"timestamp", R"("2026-11-26T12:00:00.000Z")"},
        {"step", "2"}};
    std::string out = "{";
    for (const auto& [name, v] : base) {
        if (out.size() > 1) out += ',';
        out += '"' + std::string(name) + "\":" + std::string(name == field ? value : v);
    }
    return out + "}";
}

// A complete request that closes its connection after the answer.
std::string request(std::string_view method, std::string_view target, std::string_view body,
                    std::string_view extra_headers = {}) {
    return std::string(method) + " " + std::string(target) +
           " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + std::string(extra_headers) +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}
std::string post(std::string_view id, std::string_view body, std::string_view headers = {}) {
    return request("POST", "/api/progress/" + std::string(id), body, headers);
}
std::string post_log(std::string_view id, std::string_view body) {
    return request("POST", "/api/progress/" + std::string(id) + "/log", body);
}
std::string get(std::string_view target, std::string_view headers = {}) {
    return std::string("GET ") + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" +
           std::string(headers) + "Connection: close\r\n\r\n";
}
// A POST head with hand-written framing headers; `framing` ends with "\r\n" per line.
std::string post_head(std::string_view id, std::string_view framing) {
    return "POST /api/progress/" + std::string(id) + " HTTP/1.1\r\nHost: t\r\n" +
           std::string(framing) + "\r\n";
}
std::string chunk(std::string_view data) {
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + std::string(data) + "\r\n";
}

std::string json_string(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string error_only(std::string_view error) {
    return R"({"error":")" + std::string(error) + "\"}";
}
std::string invalid_json(std::string_view message, std::size_t position) {
    return R"({"error":"Invalid JSON","details":[{"message":")" + std::string(message) +
           R"(","position":)" + std::to_string(position) + "}]}";
}
std::string bad_request(std::string_view message) {
    return R"({"error":"Bad request","details":[{"message":")" + std::string(message) + "\"}]}";
}
std::string invalid_session_id(std::string_view message) {
    return R"({"error":"Invalid session ID","details":[{"message":")" + std::string(message) +
           "\"}]}";
}
std::string too_large(std::size_t max_bytes) {
    return R"({"error":"Request body too large","maxBytes":)" + std::to_string(max_bytes) + "}";
}
constexpr std::string_view invalid_progress = "Invalid progress data";
constexpr std::string_view invalid_log = "Invalid error log entry";
// One Zod invalid_type issue; `path` is JSON array text, e.g. R"(["errors",0,"tool"])".
std::string wrong_type(std::string_view error, std::string_view path, std::string_view expected,
                       std::string_view received, bool infinity = false) {
    return R"({"error":")" + std::string(error) + R"(","details":[{"expected":")" +
           std::string(expected) + R"(","code":"invalid_type",)" +
           (infinity ? R"("received":"Infinity",)" : "") + R"("path":)" + std::string(path) +
           R"(,"message":"Invalid input: expected )" + std::string(expected) + ", received " +
           std::string(received) + "\"}]}";
}
std::string too_big(std::string_view error, std::string_view origin, std::size_t maximum,
                    std::string_view path, std::string_view unit) {
    return R"({"error":")" + std::string(error) + R"(","details":[{"origin":")" +
           std::string(origin) + R"(","code":"too_big","maximum":)" + std::to_string(maximum) +
           R"(,"inclusive":true,"path":)" + std::string(path) +
           R"(,"message":"Too big: expected )" + std::string(origin) +
           " to have <=" + std::to_string(maximum) + " " + std::string(unit) + "\"}]}";
}

//------------------------------------------------------------------------------
// The catalogue

struct expected_answer {
    int status;
    std::string body;  ///< exact, unless `check` is given
    std::function<void(const boost::json::value&)> check = {};
};

struct hostile_case {
    std::string name;
    std::string bytes;
    std::vector<expected_answer> answers;  ///< in order; empty: no answer at all
    std::vector<std::string> absent;       ///< session ids that must not exist afterwards
    /// Valid by design: request target → the exact body a GET of it answers afterwards.
    std::vector<std::pair<std::string, std::string>> stored = {};
    /// Further checks on the first answer (headers, version).
    std::function<void(const answer&)> check_first = {};
    bool half_close = false;  ///< close the sending side after the bytes (client went away)
    /// The whole exchange, the server closing the connection included (raw_exchange would wait
    /// 2 s on a connection left open, so an entry that should end in a close fails then).
    std::chrono::milliseconds budget = 1500ms;
};

void PrintTo(const hostile_case& c, std::ostream* os) { *os << c.name; }

// An entry whose single answer is `status` with `body`; the sessions `absent` must not exist.
hostile_case answered(std::string name, std::string bytes, int status, std::string body,
                      std::vector<std::string> absent) {
    return {std::move(name), std::move(bytes), {{status, std::move(body)}}, std::move(absent)};
}
// An entry for a POST of `body` to session `id` that must be refused with `status` and `answer`.
hostile_case refused_post(std::string name, const std::string& id, const std::string& body,
                          int status, std::string answer_body) {
    return answered(std::move(name), post(id, body), status, std::move(answer_body), {id});
}
// A request valid by design: answered `status`/`body`, and `id` then holds `stored_body`.
hostile_case accepted(std::string name, std::string bytes, const std::string& id,
                      std::string stored_body, int status = 200) {
    hostile_case c{std::move(name),
                   std::move(bytes),
                   {{status, R"({"success":true,"sessionId":")" + id + "\"}"}},
                   {}};
    c.stored = {{"/api/progress/" + id, std::move(stored_body)}};
    return c;
}

std::vector<hostile_case> json_syntax_cases() {
    std::vector<hostile_case> cases;
    const auto syntax = [&](std::string name, const std::string& body, std::string_view message,
                            std::size_t position) {
        const std::string id = name;
        cases.push_back(
            refused_post(std::move(name), id, body, 400, invalid_json(message, position)));
    };
    const std::string unexpected = "Unexpected character in JSON";
    const std::string end = "Unexpected end of JSON input";

    const auto whole = progress("truncated_json");
    syntax("truncated_json", whole.substr(0, whole.size() - 5), end, whole.size() - 5);
    syntax("empty_body", "", end, 0);
    syntax("whitespace_only_body", " \t\r\n ", end, 5);
    syntax("nbsp_before_the_value", "\xC2\xA0{}", unexpected, 0);
    syntax("utf16_body_with_its_bom", std::string("\xFF\xFE{\0}\0", 6), unexpected, 0);
    const auto after = progress("tokens_after_the_value") + " {}";
    syntax("tokens_after_the_value", after, "Unexpected data after the JSON value",
           after.size() - 2);
    const auto comment = progress("comment_after_the_value") + " // done";
    syntax("comment_after_the_value", comment, "Unexpected data after the JSON value",
           comment.size() - 7);
    auto body = progress("trailing_comma");
    body.insert(body.size() - 1, ",");
    syntax("trailing_comma", body, unexpected, body.size() - 1);
    body = "{'sessionId':'single_quoted_strings'}";
    syntax("single_quoted_strings", body, unexpected, 1);
    body = "{sessionId:\"unquoted_key\"}";
    syntax("unquoted_key", body, unexpected, 1);
    for (const auto& [name, token] :
         std::vector<std::pair<std::string, std::string>>{{"nan_token", "NaN"},
                                                          {"infinity_token", "Infinity"},
                                                          {"minus_infinity_token", "-Infinity"},
                                                          {"hex_number", "0x10"},
                                                          {"leading_zero_number", "01"},
                                                          {"leading_plus_number", "+1"},
                                                          {"number_ending_in_a_dot", "1."}}) {
        body = progress(name, "currentStep", token);
        // The parser stops at the first character that cannot continue a number.
        const auto at = body.find(token);
        const auto bad = token == "-Infinity"               ? at + 1
                         : token == "0x10" || token == "01" ? at + 1
                         : token == "1."                    ? at + 2
                                                            : at;
        syntax(name, body, unexpected, bad);
    }
    body = progress("nul_byte_in_a_string", "currentAction", std::string("\"a\0b\"", 5));
    syntax("nul_byte_in_a_string", body, unexpected, body.find('\0'));
    body = progress("tab_in_a_string", "currentAction", "\"a\tb\"");
    syntax("tab_in_a_string", body, unexpected, body.find('\t'));
    body = progress("unknown_escape", "currentAction", R"("\x41")");
    syntax("unknown_escape", body, unexpected, body.find(R"(\x)") + 1);
    body = progress("lone_high_surrogate_escape", "currentAction", R"("\ud800")");
    syntax("lone_high_surrogate_escape", body, unexpected, body.find(R"(\ud800)") + 6);
    body = progress("lone_low_surrogate_escape", "currentAction", R"("\udc00x")");
    // Boost.JSON reports this one inside the escape, at its "u".
    syntax("lone_low_surrogate_escape", body, "illegal leading surrogate",
           body.find(R"(\udc00)") + 1);
    const std::string too_deep = "JSON nesting is deeper than 64 levels";
    syntax("nesting_65_levels", std::string(65, '[') + std::string(65, ']'), too_deep, 64);
    body.clear();
    for (int i = 0; i < 10000; ++i) body += R"({"a":)";  // 50 KB, within the body limit
    syntax("nesting_10000_levels", body, too_deep, 64 * 5);
    body =
        progress("nesting_in_a_field", "toolStatus", std::string(100, '[') + std::string(100, ']'));
    syntax("nesting_in_a_field", body, too_deep, body.find("[[") + 63);  // the object is level 1

    const auto not_object = [&](std::string name, std::string body_text, std::string received) {
        const std::string id = name;
        cases.push_back(refused_post(std::move(name), id, body_text, 400,
                                     wrong_type(invalid_progress, "[]", "object", received)));
    };
    not_object("null_body", "null", "null");
    not_object("top_level_array", "[]", "array");
    not_object("top_level_string", R"("progress")", "string");
    not_object("top_level_number", "1e400", "number");  // Infinity, and not an object either
    return cases;
}

std::vector<hostile_case> number_and_key_cases() {
    std::vector<hostile_case> cases;
    for (const auto& [name, number] : std::vector<std::pair<std::string, std::string>>{
             {"number_1e400", "1e400"},
             {"number_minus_1e400", "-1e400"},
             {"integer_of_400_digits", std::string(400, '9')}}) {
        cases.push_back(refused_post(
            name, name, progress(name, "currentStep", number), 400,
            wrong_type(invalid_progress, R"(["currentStep"])", "number", "number", true)));
    }
    cases.push_back(answered(
        "log_step_1e400", post_log("log_step_1e400", log_entry("step", "1e400")), 400,
        wrong_type(invalid_log, R"(["step"])", "number", "number", true), {"log_step_1e400"}));
    // Valid by design: the numbers JavaScript would make of them, printed as JSON.stringify does.
    cases.push_back(accepted(
        "integer_of_30_digits",
        post("integer_of_30_digits",
             progress("integer_of_30_digits", "currentStep", "123456789012345678901234567890")),
        "integer_of_30_digits",
        progress("integer_of_30_digits", "currentStep", "1.2345678901234568e+29")));
    cases.push_back(accepted("number_1e_minus_400_is_zero",
                             post("number_1e_minus_400_is_zero",
                                  progress("number_1e_minus_400_is_zero", "currentStep", "1e-400")),
                             "number_1e_minus_400_is_zero",
                             progress("number_1e_minus_400_is_zero", "currentStep", "0")));

    // Duplicate keys: the last one wins, as in JSON.parse.
    auto body = progress("duplicate_session_id_key");
    body.insert(1, R"("sessionId":"someone_else",)");
    body.insert(body.size() - 1, R"(,"sessionId":"someone_else")");
    cases.push_back(answered("duplicate_session_id_key", post("duplicate_session_id_key", body),
                             400, error_only("Session ID mismatch"),
                             {"duplicate_session_id_key", "someone_else"}));
    body = progress("duplicate_key_last_wins", "currentStep", R"("three","currentStep":3)");
    cases.push_back(accepted("duplicate_key_last_wins", post("duplicate_key_last_wins", body),
                             "duplicate_key_last_wins",
                             progress("duplicate_key_last_wins", "currentStep", "3")));
    // Zod's record parser skips "__proto__"; so does progressd.
    body = progress("proto_key_in_tool_status", "toolStatus",
                    R"({"__proto__":{"status":"owned"},"git":{"status":"success"}})");
    cases.push_back(accepted(
        "proto_key_in_tool_status", post("proto_key_in_tool_status", body),
        "proto_key_in_tool_status",
        progress("proto_key_in_tool_status", "toolStatus", R"({"git":{"status":"success"}})")));
    cases.push_back(
        accepted("escaped_nul_in_a_string",
                 post("escaped_nul_in_a_string",
                      progress("escaped_nul_in_a_string", "currentAction", R"("a\u0000b")")),
                 "escaped_nul_in_a_string",
                 progress("escaped_nul_in_a_string", "currentAction", R"("a\u0000b")")));
    return cases;
}

// Bodies that are not (only) UTF-8: by design (README, "Differences" 5) encoding never fails an
// update, so each is stored, and exactly as documented.
std::vector<hostile_case> encoding_cases() {
    std::vector<hostile_case> cases;
    const auto stored_as = [&](std::string name, std::string raw_value, std::string stored_value,
                               std::string_view headers = {}) {
        const std::string id = name;
        cases.push_back(
            accepted(std::move(name),
                     post(id, progress(id, "currentAction", json_string(raw_value)), headers), id,
                     progress(id, "currentAction", json_string(stored_value))));
    };
    const std::string_view utf8 = "Content-Type: application/json; charset=utf-8\r\n";
    stored_as("invalid_utf8_read_as_windows_1252", "\xFF\xFE", "\xC3\xBF\xC3\xBE");
    stored_as("overlong_utf8_read_as_windows_1252", "\xC0\xAF", "\xC3\x80\xC2\xAF");
    stored_as("overlong_utf8_declared_utf8", "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD", utf8);
    stored_as("utf8_surrogate_declared_utf8", "\xED\xA0\x80",
              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", utf8);
    stored_as("truncated_utf8_declared_utf8", "ab\xE2\x82", "ab\xEF\xBF\xBD", utf8);
    // A UTF-8 byte order mark is dropped, as fetch's Request.json() did in the original app.
    const std::string id = "json_with_a_bom";
    cases.push_back(accepted(id, post(id, "\xEF\xBB\xBF" + progress(id)), id, progress(id)));
    return cases;
}

// One wrong type at every field of ProgressData and ErrorLogEntry.
std::vector<hostile_case> wrong_type_cases() {
    std::vector<hostile_case> cases;
    struct field_case {
        std::string name, field, value, path, expected, received;
    };
    const std::vector<field_case> progress_fields = {
        {"session_id_number", "sessionId", "1", R"(["sessionId"])", "string", "number"},
        {"current_step_string", "currentStep", R"("2")", R"(["currentStep"])", "number", "string"},
        {"completed_steps_object", "completedSteps", "{}", R"(["completedSteps"])", "array",
         "object"},
        {"completed_step_item_string", "completedSteps", R"([1,"2"])", R"(["completedSteps",1])",
         "number", "string"},
        {"current_action_null", "currentAction", "null", R"(["currentAction"])", "string", "null"},
        {"tool_status_array", "toolStatus", "[]", R"(["toolStatus"])", "record", "array"},
        {"tool_status_entry_string", "toolStatus", R"({"git":"done"})", R"(["toolStatus","git"])",
         "object", "string"},
        {"tool_version_number", "toolStatus", R"({"git":{"status":"success","version":2}})",
         R"(["toolStatus","git","version"])", "string", "number"},
        {"tool_error_boolean", "toolStatus", R"({"git":{"status":"error","error":false}})",
         R"(["toolStatus","git","error"])", "string", "boolean"},
        {"errors_object", "errors", "{}", R"(["errors"])", "array", "object"},
        {"errors_item_number", "errors", "[7]", R"(["errors",0])", "object", "number"},
        {"errors_tool_number", "errors", R"([{"tool":1,"error":"e","suggestedFix":"f"}])",
         R"(["errors",0,"tool"])", "string", "number"},
        {"errors_error_array", "errors", R"([{"tool":"t","error":[],"suggestedFix":"f"}])",
         R"(["errors",0,"error"])", "string", "array"},
        {"errors_suggested_fix_null", "errors", R"([{"tool":"t","error":"e","suggestedFix":null}])",
         R"(["errors",0,"suggestedFix"])", "string", "null"},
        {"timestamp_number", "timestamp", "1764158400000", R"(["timestamp"])", "string", "number"},
        {"complete_string", "complete", R"("true")", R"(["complete"])", "boolean", "string"},
        {"total_steps_string", "totalSteps", R"("7")", R"(["totalSteps"])", "number", "string"},
    };
    for (const auto& f : progress_fields) {
        cases.push_back(refused_post(f.name, f.name, progress(f.name, f.field, f.value), 400,
                                     wrong_type(invalid_progress, f.path, f.expected, f.received)));
    }
    cases.push_back(refused_post(
        "phase_number", "phase_number", progress("phase_number", "phase", "1"), 400,
        R"({"error":"Invalid progress data","details":[{"code":"invalid_value","values":["phase1","phase2"],"path":["phase"],"message":"Invalid option: expected one of \"phase1\"|\"phase2\""}]})"));
    cases.push_back(refused_post(
        "tool_state_number", "tool_state_number",
        progress("tool_state_number", "toolStatus", R"({"git":{"status":1}})"), 400,
        R"({"error":"Invalid progress data","details":[{"code":"invalid_value","values":["pending","installing","success","error","skipped"],"path":["toolStatus","git","status"],"message":"Invalid option: expected one of \"pending\"|\"installing\"|\"success\"|\"error\"|\"skipped\""}]})"));

    const std::vector<field_case> log_fields = {
        {"log_tool_number", "tool", "1", R"(["tool"])", "string", "number"},
        {"log_error_null", "error", "null", R"(["error"])", "string", "null"},
        {"log_suggested_fix_array", "suggestedFix", "[]", R"(["suggestedFix"])", "string", "array"},
        {"log_timestamp_object", "timestamp", "{}", R"(["timestamp"])", "string", "object"},
        {"log_step_string", "step", R"("2")", R"(["step"])", "number", "string"},
    };
    for (const auto& f : log_fields) {
        cases.push_back(answered(f.name, post_log(f.name, log_entry(f.field, f.value)), 400,
                                 wrong_type(invalid_log, f.path, f.expected, f.received),
                                 {f.name}));
    }
    return cases;
}

std::vector<hostile_case> size_cases() {
    std::vector<hostile_case> cases;
    std::string body = progress("body_of_64_kib_plus_1");
    body += std::string(64 * 1024 + 1 - body.size(), ' ');
    cases.push_back(refused_post("body_of_64_kib_plus_1", "body_of_64_kib_plus_1", body, 413,
                                 too_large(65536)));
    // The limit is exact: 64 KiB is read, and here found to hold an unfinished value.
    body = "{" + std::string(64 * 1024 - 1, ' ');
    cases.push_back(refused_post("body_of_exactly_64_kib_is_read", "body_of_exactly_64_kib_is_read",
                                 body, 400, invalid_json("Unexpected end of JSON input", 65536)));
    cases.push_back(refused_post(
        "string_of_1_mib", "string_of_1_mib",
        progress("string_of_1_mib", "currentAction", json_string(std::string(1 << 20, 'a'))), 413,
        too_large(65536)));
    std::string tools = "{";
    for (int i = 0; i < 100000; ++i) {
        tools += (i ? ",\"t" : "\"t") + std::to_string(i) + R"(":{"status":"pending"})";
    }
    tools += "}";
    cases.push_back(refused_post("tools_100000", "tools_100000",
                                 progress("tools_100000", "toolStatus", tools), 413,
                                 too_large(65536)));
    // Within the body limit, the quotas answer.
    tools = "{";
    for (int i = 0; i < 201; ++i) {
        tools += (i ? ",\"t" : "\"t") + std::to_string(i) + R"(":{"status":"pending"})";
    }
    tools += "}";
    cases.push_back(
        refused_post("tools_201", "tools_201", progress("tools_201", "toolStatus", tools), 400,
                     too_big(invalid_progress, "object", 200, R"(["toolStatus"])", "keys")));
    cases.push_back(refused_post(
        "current_action_of_2049_characters", "current_action_of_2049_characters",
        progress("current_action_of_2049_characters", "currentAction",
                 json_string(std::string(2049, 'x'))),
        400, too_big(invalid_progress, "string", 2048, R"(["currentAction"])", "characters")));
    std::string steps = "[1";
    for (int i = 1; i < 1001; ++i) steps += ",1";
    cases.push_back(
        refused_post("completed_steps_1001", "completed_steps_1001",
                     progress("completed_steps_1001", "completedSteps", steps + "]"), 400,
                     too_big(invalid_progress, "array", 1000, R"(["completedSteps"])", "items")));
    cases.push_back(answered("log_tool_of_257_characters",
                             post_log("log_tool_of_257_characters",
                                      log_entry("tool", json_string(std::string(257, 't')))),
                             400, too_big(invalid_log, "string", 256, R"(["tool"])", "characters"),
                             {"log_tool_of_257_characters"}));
    return cases;
}

//------------------------------------------------------------------------------
// Issue 11 item 4: answers and stored data have byte bounds. A body of many wrong parts is
// answered with the first 100 issues and "truncatedIssues", within 4 times the body's size.

// Refuses `body` (POSTed to session `id`) with 100 issues, `more` left out, and an answer no
// larger than 4 times the body.
hostile_case many_issues(const std::string& id, const std::string& body, std::size_t more) {
    auto c = refused_post(id, id, body, 400, {});
    c.answers[0].check = [more](const boost::json::value& v) {
        EXPECT_EQ(v.at("error"), "Invalid progress data");
        EXPECT_EQ(v.at("details").as_array().size(), 100u);
        EXPECT_EQ(v.at("truncatedIssues").to_number<std::size_t>(), more);
    };
    c.check_first = [size = body.size()](const answer& a) {
        EXPECT_LE(a.body.size(), 4 * size) << "body " << size << " bytes";
    };
    return c;
}

// Repeats `element` (with `separator` between) inside `open`…`close` while the body stays
// under 64 KiB; `count` receives how many elements it holds.
std::string filled(std::string_view open, const std::function<std::string(int)>& element,
                   std::string_view close, int& count) {
    std::string body(open);
    for (count = 0;; ++count) {
        const std::string next = (count ? "," : "") + element(count);
        if (body.size() + next.size() + close.size() > 64 * 1024) break;
        body += next;
    }
    return body + std::string(close);
}

// Pipelined appends of 33 KiB bodies of Windows-1252 text, stored as 98 KB of UTF-8 each, until
// the log's 1 MiB byte quota refuses one: that one is answered 429 and stores nothing.
hostile_case log_past_its_bytes() {
    const std::string id = "log_past_1_mib_of_windows_1252";
    const std::string text(16384, '\x80');  // 0x80 is the euro sign in Windows-1252
    std::string stored_text;
    for (int i = 0; i < 16384; ++i) stored_text += "\xE2\x82\xAC";
    const auto entry = [](const std::string& t) {
        return R"({"tool":"t","error":")" + t + R"(","suggestedFix":")" + t +
               R"(","timestamp":"2026-11-26T12:00:00.000Z","step":2})";
    };
    const std::string stored_entry = entry(stored_text);
    std::size_t fit = 0;
    while ((fit + 1) * (stored_entry.size() + 1) + 1 <= std::size_t{1} << 20) ++fit;
    hostile_case c{id, {}, {}, {}};
    std::string log = R"({"errors":[)";
    for (std::size_t i = 1; i <= fit; ++i) {
        c.bytes += "POST /api/progress/" + id + "/log HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                   std::to_string(entry(text).size()) + "\r\n\r\n" + entry(text);
        c.answers.push_back({200, R"({"success":true,"sessionId":")" + id + R"(","totalErrors":)" +
                                      std::to_string(i) + "}"});
        log += (i > 1 ? "," : "") + stored_entry;
    }
    c.bytes += post_log(id, entry(text));
    c.answers.push_back(
        {429, R"({"error":"Error log is too large","details":[{"origin":"log","code":"too_big",)"
              R"("maximum":1048576,"inclusive":true,"path":[],)"
              R"("message":"Too big: expected log to have <=1048576 bytes"}]})"});
    c.stored = {{"/api/progress/" + id + "/log", log + "]}"}};
    c.budget = 5s;
    return c;
}

std::vector<hostile_case> bounded_answer_cases() {
    std::vector<hostile_case> cases;
    int n = 0;
    // No other field either: 5 missing fields come before "errors" and 3 after it.
    std::string body = filled(R"({"errors":[)", [](int) { return "0"; }, "]}", n);
    cases.push_back(
        many_issues("errors_array_of_32000_zeros", body, static_cast<std::size_t>(n + 8 - 100)));
    body = filled(R"({"completedSteps":[)", [](int) { return R"("")"; }, "]}", n);
    cases.push_back(many_issues("completed_steps_of_21000_strings", body,
                                static_cast<std::size_t>(n + 8 - 100)));
    body = filled(R"({"toolStatus":{)", [](int i) { return "\"t" + std::to_string(i) + "\":0"; },
                  "}}", n);
    cases.push_back(many_issues("tool_status_of_7000_unknown_tools", body,
                                static_cast<std::size_t>(n + 8 - 100)));
    // Long keys: each issue's path holds its key.
    body = filled(R"({"toolStatus":{)",
                  [](int i) { return "\"" + std::to_string(i) + std::string(600, 'k') + "\":{}"; },
                  "}}", n);
    cases.push_back(
        many_issues("tool_status_of_600_byte_keys", body, static_cast<std::size_t>(n + 8 - 100)));
    // Bytes that are not UTF-8 are read as Windows-1252: 0x80 becomes the 3 bytes of U+20AC.
    body =
        filled(R"({"toolStatus":{)",
               [](int i) { return "\"" + std::to_string(i) + std::string(300, '\x80') + "\":{}"; },
               "}}", n);
    cases.push_back(many_issues("tool_status_of_windows_1252_keys", body,
                                static_cast<std::size_t>(n + 8 - 100)));
    cases.push_back(log_past_its_bytes());
    return cases;
}

// Writes aimed at the victim itself: refused, and the victim must be exactly as it was.
std::vector<hostile_case> victim_cases() {
    std::vector<hostile_case> cases;
    cases.push_back(answered(
        "victim_overwritten_with_a_wrong_type", post("victim", progress("victim", "complete", "1")),
        400, wrong_type(invalid_progress, R"(["complete"])", "boolean", "number"), {}));
    cases.push_back(answered("victim_overwritten_with_truncated_json",
                             post("victim", progress("victim").substr(0, 40)), 400,
                             invalid_json("Unexpected end of JSON input", 40), {}));
    cases.push_back(
        answered("victim_patched_with_a_wrong_type",
                 request("PATCH", "/api/progress/victim", R"({"currentStep":"x"})"), 400,
                 wrong_type(invalid_progress, R"(["currentStep"])", "number", "string"), {}));
    cases.push_back(answered("victim_patched_to_null",
                             request("PATCH", "/api/progress/victim", "null"), 400,
                             wrong_type(invalid_progress, "[]", "object", "null"), {}));
    cases.push_back(answered("victim_patched_to_another_id",
                             request("PATCH", "/api/progress/victim", R"({"sessionId":"stolen"})"),
                             400, error_only("Session ID mismatch"), {"stolen"}));
    cases.push_back(answered("victim_log_with_a_wrong_type",
                             post_log("victim", log_entry("step", "true")), 400,
                             wrong_type(invalid_log, R"(["step"])", "number", "boolean"), {}));
    cases.push_back(answered(
        "victim_log_with_an_empty_object", post_log("victim", "{}"), 400,
        R"({"error":"Invalid error log entry","details":[)"
        R"({"expected":"string","code":"invalid_type","path":["tool"],"message":"Invalid input: expected string, received undefined"},)"
        R"({"expected":"string","code":"invalid_type","path":["error"],"message":"Invalid input: expected string, received undefined"},)"
        R"({"expected":"string","code":"invalid_type","path":["suggestedFix"],"message":"Invalid input: expected string, received undefined"},)"
        R"({"expected":"string","code":"invalid_type","path":["timestamp"],"message":"Invalid input: expected string, received undefined"},)"
        R"({"expected":"number","code":"invalid_type","path":["step"],"message":"Invalid input: expected number, received undefined"}]})",
        {}));
    return cases;
}

// Issue 11, item 1: ids that would name a key of the victim in the Redis layout
// ("progress:victim:log" is the victim's log). Refused on every store alike; the victim is
// checked byte-identical after each, as after every entry.
std::vector<hostile_case> session_key_cases() {
    std::vector<hostile_case> cases;
    const auto reserved = [](std::string_view suffix) {
        return invalid_session_id("session ID must not end with '" + std::string(suffix) +
                                  "' (reserved: it would name a key of another session)");
    };
    cases.push_back(answered("id_naming_the_victims_log_overwrites_it",
                             post("victim:log", "[" + log_entry() + "]"), 400, reserved(":log"),
                             {}));
    cases.push_back(answered("id_naming_the_victims_log_appends_to_it",
                             post_log("victim:log", log_entry()), 400, reserved(":log"), {}));
    cases.push_back(answered("id_naming_the_victims_version",
                             post("victim:version", progress("victim:version")), 400,
                             reserved(":version"), {}));
    cases.push_back(answered("id_naming_the_victims_version_patched",
                             request("PATCH", "/api/progress/victim:version", "{}"), 400,
                             reserved(":version"), {}));
    cases.push_back(answered("id_naming_the_victims_write_key",
                             post("victim:key", progress("victim:key")), 400, reserved(":key"),
                             {}));
    cases.push_back(answered("id_naming_the_victims_log_meta",
                             post("victim:log:meta", progress("victim:log:meta")), 400,
                             reserved(":log:meta"), {}));
    cases.push_back(answered("id_naming_the_victims_log_deleted",
                             request("DELETE", "/api/progress/victim:log", ""), 400,
                             reserved(":log"), {}));
    cases.push_back(answered("id_naming_the_victims_log_percent_encoded",
                             post("victim%3Alog%3Ameta", progress("victim:log:meta")), 400,
                             reserved(":log:meta"), {}));
    cases.push_back(answered("id_naming_the_victims_timeline", get("/api/progress/victim:timeline"),
                             400, reserved(":timeline"), {}));
    cases.push_back(answered("id_naming_the_victims_tombstone",
                             get("/api/progress/victim:tombstone/events"), 400,
                             reserved(":tombstone"), {}));
    return cases;
}

std::vector<hostile_case> framing_cases() {
    std::vector<hostile_case> cases;
    const auto framed = [&](std::string name, std::string_view framing, const std::string& body,
                            int status, std::string answer_body) {
        const std::string id = name;
        cases.push_back(answered(std::move(name), post_head(id, framing) + body, status,
                                 std::move(answer_body), {id}));
    };
    const auto body_of = [](std::string_view id) { return progress(id); };
    const auto length = [](std::string_view id) { return std::to_string(progress(id).size()); };

    framed("content_length_and_chunked",
           "Content-Length: " + length("content_length_and_chunked") +
               "\r\nTransfer-Encoding: chunked\r\n",
           chunk(body_of("content_length_and_chunked")) + "0\r\n\r\n", 400,
           bad_request("bad Transfer-Encoding"));
    framed("chunked_and_content_length",
           "Transfer-Encoding: chunked\r\nContent-Length: " + length("chunked_and_content_length") +
               "\r\n",
           chunk(body_of("chunked_and_content_length")) + "0\r\n\r\n", 400,
           bad_request("bad Content-Length"));
    framed(
        "two_different_content_lengths",
        "Content-Length: " + length("two_different_content_lengths") + "\r\nContent-Length: 5\r\n",
        body_of("two_different_content_lengths"), 400, bad_request("multiple Content-Length"));
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"negative_content_length", "-1"},
             {"hex_content_length", "0x10"},
             {"content_length_with_a_plus_sign", "+10"},
             {"content_length_past_64_bits", "99999999999999999999999"},
             {"empty_content_length", ""}}) {
        framed(name, "Content-Length: " + value + "\r\n", body_of(name), 400,
               bad_request("bad Content-Length"));
    }
    for (const auto& [name, size] : std::vector<std::pair<std::string, std::string>>{
             {"chunk_size_not_hex", "zz"},
             {"chunk_size_negative", "-5"},
             {"chunk_size_past_64_bits", "fffffffffffffffffff"}}) {
        framed(name, "Transfer-Encoding: chunked\r\n",
               size + "\r\n" + body_of(name) + "\r\n0\r\n\r\n", 400, bad_request("bad chunk"));
    }
    {
        const std::string body = body_of("chunk_size_smaller_than_the_data");
        char size[20];
        std::snprintf(size, sizeof size, "%zx\r\n", body.size() - 10);
        framed("chunk_size_smaller_than_the_data", "Transfer-Encoding: chunked\r\n",
               size + body + "\r\n0\r\n\r\n", 400, bad_request("bad chunk"));
    }
    {
        const std::string with_crlf = chunk(body_of("chunk_without_its_crlf"));
        framed("chunk_without_its_crlf", "Transfer-Encoding: chunked\r\n",
               with_crlf.substr(0, with_crlf.size() - 2) + "0\r\n\r\n", 400,
               bad_request("bad chunk"));
    }
    framed("chunk_declared_past_the_limit", "Transfer-Encoding: chunked\r\n",
           "7fffffff\r\n" + body_of("chunk_declared_past_the_limit"), 413, too_large(65536));
    // RFC 9112 §6.3: chunked must be the final coding, or the request is refused and closed.
    for (const auto& [name, coding] : std::vector<std::pair<std::string, std::string>>{
             {"transfer_encoding_chunked_identity", "chunked, identity"},
             {"transfer_encoding_identity", "identity"},
             {"transfer_encoding_chunked_twice_in_one_line", "chunked, chunked"},
             {"transfer_encoding_xchunked", "xchunked"}}) {
        framed(name, "Transfer-Encoding: " + coding + "\r\n", chunk(body_of(name)) + "0\r\n\r\n",
               400, bad_request("bad Transfer-Encoding"));
    }
    framed("transfer_encoding_twice",
           "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
           chunk(body_of("transfer_encoding_twice")) + "0\r\n\r\n", 400,
           bad_request("bad Transfer-Encoding"));
    framed("space_before_the_colon", "Transfer-Encoding : chunked\r\n",
           chunk(body_of("space_before_the_colon")) + "0\r\n\r\n", 400, bad_request("bad field"));
    {
        // A body that is itself a request: refused, and never read as the next request.
        const std::string inner = post("smuggled_inside", progress("smuggled_inside"));
        cases.push_back(
            answered("request_smuggled_behind_an_unknown_coding",
                     post_head("smuggling_front", "Transfer-Encoding: xchunked\r\n") + inner, 400,
                     bad_request("bad Transfer-Encoding"), {"smuggling_front", "smuggled_inside"}));
    }
    framed("cr_without_lf", "X-Note: a\rContent-Length: " + length("cr_without_lf") + "\r\n",
           body_of("cr_without_lf"), 400, bad_request("bad line ending"));
    cases.push_back(
        answered("lf_only_line_endings",
                 "POST /api/progress/lf_only_line_endings HTTP/1.1\nHost: t\nContent-Length: " +
                     length("lf_only_line_endings") + "\n\n" + body_of("lf_only_line_endings"),
                 400, bad_request("bad version"), {"lf_only_line_endings"}));
    framed("nul_in_a_header_value",
           std::string("X-Note: a") + '\0' +
               "b\r\nContent-Length: " + length("nul_in_a_header_value") + "\r\n",
           body_of("nul_in_a_header_value"), 400, bad_request("bad value"));
    framed("header_name_with_a_space", "Bad Name: x\r\nContent-Length: 2\r\n", "{}", 400,
           bad_request("bad field"));
    {
        auto c = answered("expect_100_continue_with_a_huge_length",
                          post_head("expect_100_continue_with_a_huge_length",
                                    "Expect: 100-continue\r\nContent-Length: 10000000\r\n"),
                          413, too_large(65536), {"expect_100_continue_with_a_huge_length"});
        cases.push_back(std::move(c));  // exactly one answer: no "100 Continue" before it
    }
    {
        const std::string id = "content_length_longer_than_the_body";
        hostile_case c{
            id,
            post_head(id, "Content-Length: " + std::to_string(progress(id).size() + 50) + "\r\n") +
                progress(id),
            {},
            {id}};
        c.half_close = true;
        cases.push_back(std::move(c));
    }
    {
        const std::string id = "chunk_longer_than_the_data";
        hostile_case c{id,
                       post_head(id, "Transfer-Encoding: chunked\r\n") + "400\r\n" + progress(id),
                       {},
                       {id}};
        c.half_close = true;
        cases.push_back(std::move(c));
    }
    // Valid by design.
    {
        const std::string id = "two_equal_content_lengths";  // RFC 9110 §8.6 allows merging them
        cases.push_back(accepted(
            id,
            post_head(id, "Content-Length: " + length(id) + "\r\nContent-Length: " + length(id) +
                              "\r\nConnection: close\r\n") +
                progress(id),
            id, progress(id)));
    }
    {
        const std::string id = "obs_fold_header_line";  // RFC 9112 §5.2: replaced by a space
        cases.push_back(accepted(
            id,
            post_head(id, "X-Note: a\r\n  continued\r\nConnection: close\r\nContent-Length: " +
                              length(id) + "\r\n") +
                progress(id),
            id, progress(id)));
    }
    {
        const std::string id = "chunked_with_an_extension";
        cases.push_back(
            accepted(id,
                     post_head(id, "Transfer-Encoding: chunked\r\nConnection: close\r\n") +
                         "10;name=value\r\n" + progress(id).substr(0, 16) + "\r\n" +
                         chunk(progress(id).substr(16)) + "0\r\n\r\n",
                     id, progress(id)));
    }
    return cases;
}

std::vector<hostile_case> target_cases() {
    std::vector<hostile_case> cases;
    const std::string control = "session ID must not contain control characters";
    const std::string not_utf8 = "session ID must be valid UTF-8";
    cases.push_back(
        answered("nul_in_the_path",
                 std::string("GET /api/progress/vic") + '\0' + "tim HTTP/1.1\r\nHost: t\r\n\r\n",
                 400, bad_request("bad target"), {}));
    cases.push_back(answered("percent_00_in_the_session_id", post("a%00b", "{}"), 400,
                             invalid_session_id(control), {}));
    {
        auto c = answered("encoded_crlf_header_injection_in_the_id",
                          get("/api/progress/victim%0d%0aSet-Cookie:%20owned=1"), 400,
                          invalid_session_id(control), {});
        c.check_first = [](const answer& a) { EXPECT_FALSE(a.headers.contains("set-cookie")); };
        cases.push_back(std::move(c));
    }
    cases.push_back(answered(
        "bare_cr_header_injection",
        "GET /healthz HTTP/1.1\r\nHost: t\r\nOrigin: http://a\rSet-Cookie: owned=1\r\n\r\n", 400,
        bad_request("bad line ending"), {}));
    {
        // Not a plausible request id: replaced by a fresh one, never echoed.
        auto c = answered("request_id_carrying_header_text",
                          get("/healthz", "X-Request-Id: a%0d%0aSet-Cookie:%20owned=1\r\n"), 200,
                          R"({"status":"ok"})", {});
        c.check_first = [](const answer& a) {
            EXPECT_EQ(header(a, "x-request-id").size(), 16u);
            EXPECT_FALSE(a.headers.contains("set-cookie"));
        };
        cases.push_back(std::move(c));
    }
    cases.push_back(answered("percent_2f_in_the_session_id", post("victim%2Flog", log_entry()), 400,
                             invalid_session_id("session ID must not contain '/'"), {}));
    cases.push_back(answered("dot_dot_segments", get("/api/progress/../../etc/passwd"), 404,
                             error_only("Not found"), {}));
    cases.push_back(answered("dot_dot_towards_the_victim", get("/api/x/../progress/victim"), 404,
                             error_only("Not found"), {}));
    cases.push_back(answered("encoded_dot_dot_towards_the_victim",
                             get("/api/progress/%2e%2e/progress/victim"), 404,
                             error_only("Not found"), {}));
    std::string long_id;
    for (int i = 0; i < 201; ++i) long_id += "%C3%A9";  // 201 × "é"
    cases.push_back(answered("session_id_of_201_code_points", post(long_id, "{}"), 400,
                             invalid_session_id("session ID must be at most 200 characters"), {}));
    cases.push_back(answered("session_id_invalid_utf8", get("/api/progress/%FF"), 400,
                             invalid_session_id(not_utf8), {}));
    cases.push_back(answered("session_id_overlong_utf8", get("/api/progress/%C0%AF"), 400,
                             invalid_session_id(not_utf8), {}));
    cases.push_back(answered("session_id_with_a_c1_control", get("/api/progress/a%C2%85"), 400,
                             invalid_session_id(control), {}));
    cases.push_back(answered("raw_utf8_in_the_target", get("/api/progress/\xC3\xA9"), 400,
                             error_only("Invalid request target"), {}));
    cases.push_back(answered("bad_percent_escape", get("/api/progress/a%zz"), 400,
                             error_only("Invalid request target"), {}));
    cases.push_back(answered("space_in_the_target",
                             "GET /api/progress/a b HTTP/1.1\r\nHost: t\r\n\r\n", 400,
                             bad_request("bad version"), {}));
    cases.push_back(answered("http_0_9_request_line", "GET /healthz\r\n\r\n", 400,
                             bad_request("bad target"), {}));
    cases.push_back(answered("http_2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400,
                             bad_request("bad version"), {}));
    cases.push_back(
        answered("url_of_20000_characters",
                 "GET /api/progress/" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n",
                 431, error_only("Request header fields too large"), {}));
    cases.push_back(answered(
        "header_of_17_kib",
        "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(17 * 1024, 'a') + "\r\n\r\n",
        431, error_only("Request header fields too large"), {}));
    {
        std::string many = "GET /healthz HTTP/1.1\r\nHost: t\r\n";
        for (int i = 0; i < 3000; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
        cases.push_back(answered("three_thousand_headers", many + "\r\n", 431,
                                 error_only("Request header fields too large"), {}));
    }
    return cases;
}

std::vector<hostile_case> method_cases() {
    std::vector<hostile_case> cases;
    const auto not_allowed = [&](std::string name, std::string method) {
        auto c = answered(std::move(name), request(method, "/api/progress/victim", "{}"), 405,
                          error_only("Method not allowed"), {});
        c.check_first = [](const answer& a) {
            EXPECT_EQ(header(a, "allow"), "GET, HEAD, POST, PATCH, DELETE, OPTIONS");
        };
        cases.push_back(std::move(c));
    };
    not_allowed("absurd_method", "BREW");
    not_allowed("lowercase_method", "post");
    not_allowed("trace_method", "TRACE");
    not_allowed("method_of_1000_characters", std::string(1000, 'X'));
    // Ignored: no method override, no token on an open server.
    cases.push_back(answered("method_override_header_on_a_get",
                             get("/api/progress/victim", "X-HTTP-Method-Override: DELETE\r\n"), 200,
                             progress_body("victim", 3), {}));
    {
        const std::string id = "method_override_header_on_a_post";
        cases.push_back(accepted(id, post(id, progress(id), "X-HTTP-Method-Override: DELETE\r\n"),
                                 id, progress(id)));
    }
    cases.push_back(answered("method_override_query_parameter",
                             request("POST", "/api/progress/victim?_method=DELETE", "{"), 400,
                             invalid_json("Unexpected end of JSON input", 1), {}));
    cases.push_back(answered("query_token_on_an_open_server",
                             get("/api/progress/victim?token=not-a-configured-token"), 200,
                             progress_body("victim", 3), {}));
    {
        const std::string id = "query_token_on_a_write";
        cases.push_back(accepted(
            id, request("POST", "/api/progress/" + id + "?token=x&sessionId=y", progress(id)), id,
            progress(id)));
    }
    return cases;
}

std::vector<hostile_case> version_and_pipelining_cases() {
    std::vector<hostile_case> cases;
    {
        const std::string id = "http_1_0_post";
        auto c = accepted(id,
                          "POST /api/progress/" + id + " HTTP/1.0\r\nContent-Length: " +
                              std::to_string(progress(id).size()) + "\r\n\r\n" + progress(id),
                          id, progress(id));
        c.check_first = [](const answer& a) {
            EXPECT_EQ(a.version, "HTTP/1.0");
            EXPECT_EQ(header(a, "connection"), "");  // HTTP/1.0 without keep-alive: closed
        };
        cases.push_back(std::move(c));
    }
    for (const auto& [id, host_lines, problem] :
         {std::tuple<std::string, std::string, std::string>{
              "http_1_1_post_without_host", "", "An HTTP/1.1 request needs a Host header"},
          {"two_host_headers", "Host: t\r\nHost: elsewhere.example\r\n",
           "A request may carry only one Host header"}}) {
        cases.push_back(answered(id,
                                 "POST /api/progress/" + id + " HTTP/1.1\r\n" + host_lines +
                                     "Content-Length: " + std::to_string(progress(id).size()) +
                                     "\r\n\r\n" + progress(id),
                                 400, bad_request(problem), {id}));
    }
    cases.push_back(answered("http_1_0_post_without_a_length",
                             "POST /api/progress/http_1_0_post_without_a_length HTTP/1.0\r\n\r\n" +
                                 progress("http_1_0_post_without_a_length"),
                             400, invalid_json("Unexpected end of JSON input", 0),
                             {"http_1_0_post_without_a_length"}));
    {
        const std::string id = "absolute_form_target";
        cases.push_back(accepted(id, request("POST", "http://t/api/progress/" + id, progress(id)),
                                 id, progress(id)));
    }
    cases.push_back(answered("absolute_form_naming_another_host",
                             get("http://elsewhere.example/api/progress/victim"), 200,
                             progress_body("victim", 3), {}));
    {
        const std::string id = "pipelined_post_then_get";
        const std::string first =
            "POST /api/progress/" + id +
            " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(progress(id).size()) +
            "\r\n\r\n" + progress(id);
        hostile_case c{
            id,
            first + get("/api/progress/" + id),
            {{200, R"({"success":true,"sessionId":")" + id + "\"}"}, {200, progress(id)}},
            {}};
        c.stored = {{"/api/progress/" + id, progress(id)}};
        cases.push_back(std::move(c));
    }
    {
        const std::string id = "pipelined_bad_json_then_get";
        const std::string first =
            "POST /api/progress/" + id + " HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\n{";
        cases.push_back({id,
                         first + get("/api/progress/" + id),
                         {{400, invalid_json("Unexpected end of JSON input", 1)},
                          {404, error_only("Session not found")}},
                         {id}});
    }
    cases.push_back(answered(
        "pipelined_after_a_parse_error",
        "GET /healthz HTTP/1.1\r\nHost t\r\n\r\n" +
            post("pipelined_after_a_parse_error", progress("pipelined_after_a_parse_error")),
        400, bad_request("bad field"), {"pipelined_after_a_parse_error"}));
    cases.push_back(answered("pipelined_after_a_413",
                             post_head("pipelined_after_a_413", "Content-Length: 70000\r\n") +
                                 post("pipelined_after_a_413", progress("pipelined_after_a_413")),
                             413, too_large(65536), {"pipelined_after_a_413"}));
    return cases;
}

std::vector<hostile_case> default_limits_catalogue() {
    std::vector<hostile_case> all;
    for (auto part :
         {json_syntax_cases(), number_and_key_cases(), encoding_cases(), wrong_type_cases(),
          size_cases(), bounded_answer_cases(), victim_cases(), framing_cases(), target_cases(),
          method_cases(), version_and_pipelining_cases(), session_key_cases()}) {
        for (auto& c : part) all.push_back(std::move(c));
    }
    return all;
}

// With room for bodies far past the default 64 KiB: what answers is then the parser's depth
// limit and the quotas, not the body limit.
constexpr std::size_t raised_body_limit = 4 * 1024 * 1024;

std::vector<hostile_case> large_body_catalogue() {
    std::vector<hostile_case> cases;
    const std::string too_deep = "JSON nesting is deeper than 64 levels";
    {
        auto c = refused_post("nesting_100000_levels", "nesting_100000_levels",
                              std::string(100000, '[') + std::string(100000, ']'), 400,
                              invalid_json(too_deep, 64));
        c.budget = 1s;  // refused at depth 65, not recursed into
        cases.push_back(std::move(c));
    }
    {
        std::string body;
        for (int i = 0; i < 100000; ++i) body += R"({"a":)";
        body += "1" + std::string(100000, '}');
        auto c = refused_post("nesting_100000_object_levels", "nesting_100000_object_levels", body,
                              400, invalid_json(too_deep, 64 * 5));
        c.budget = 1s;
        cases.push_back(std::move(c));
    }
    cases.push_back(refused_post(
        "current_action_of_1_mib", "current_action_of_1_mib",
        progress("current_action_of_1_mib", "currentAction",
                 json_string(std::string(1 << 20, 'a'))),
        400, too_big(invalid_progress, "string", 2048, R"(["currentAction"])", "characters")));
    std::string tools = "{";
    for (int i = 0; i < 100000; ++i) {
        tools += (i ? ",\"t" : "\"t") + std::to_string(i) + R"(":{"status":"pending"})";
    }
    cases.push_back(  // --max-tools, 200 by default
        refused_post("tools_100000_over_the_tools_quota", "tools_100000_over_the_tools_quota",
                     progress("tools_100000_over_the_tools_quota", "toolStatus", tools + "}"), 400,
                     too_big(invalid_progress, "object", 200, R"(["toolStatus"])", "keys")));
    std::string steps = "[0";
    for (int i = 1; i < 100000; ++i) steps += ",1";
    cases.push_back(
        refused_post("completed_steps_100000", "completed_steps_100000",
                     progress("completed_steps_100000", "completedSteps", steps + "]"), 400,
                     too_big(invalid_progress, "array", 1000, R"(["completedSteps"])", "items")));
    std::string errors = "[";
    for (int i = 0; i < 10000; ++i)
        errors += (i ? "," : "") + std::string(R"({"tool":"t","error":"e","suggestedFix":"f"})");
    cases.push_back(refused_post(
        "errors_10000", "errors_10000", progress("errors_10000", "errors", errors + "]"), 400,
        too_big(invalid_progress, "array", 1000, R"(["errors"])", "items")));
    cases.push_back(answered(
        "log_error_of_1_mib",
        post_log("log_error_of_1_mib", log_entry("error", json_string(std::string(1 << 20, 'e')))),
        400, too_big(invalid_log, "string", 16384, R"(["error"])", "characters"),
        {"log_error_of_1_mib"}));
    {
        // The issue path holds the 1 MiB name itself, so check the fields that matter.
        const std::string name(1 << 20, 'n');
        auto c = refused_post("tool_name_of_1_mib", "tool_name_of_1_mib",
                              progress("tool_name_of_1_mib", "toolStatus",
                                       "{" + json_string(name) + R"(:{"status":"pending"}})"),
                              400, {});
        c.answers[0].check = [name](const boost::json::value& v) {
            EXPECT_EQ(v.at("error"), "Invalid progress data");
            const auto& issue = v.at("details").as_array().at(0);
            EXPECT_EQ(issue.at("code"), "too_big");
            EXPECT_EQ(issue.at("maximum"), 256);
            EXPECT_EQ(issue.at("path"),
                      (boost::json::array{"toolStatus", boost::json::string(name)}));
            EXPECT_EQ(issue.at("message"), "Too big: expected string to have <=256 characters");
        };
        cases.push_back(std::move(c));
    }
    cases.push_back(answered("expect_100_continue_past_the_raised_limit",
                             post_head("expect_100_continue_past_the_raised_limit",
                                       "Expect: 100-continue\r\nContent-Length: " +
                                           std::to_string(raised_body_limit + 1) + "\r\n"),
                             413, too_large(raised_body_limit),
                             {"expect_100_continue_past_the_raised_limit"}));
    return cases;
}

//------------------------------------------------------------------------------
// The fixture: one server per suite, a victim stored before the catalogue runs

struct catalogue_server {
    temp_dir dir;
    std::unique_ptr<server_process> process;
    std::string victim_progress;
    std::string victim_log;
};

std::vector<answer> exchange(unsigned short port, std::string_view bytes, bool half_close = false) {
    return parse_answers(half_close ? send_then_half_close(port, bytes)
                                    : raw_exchange(port, bytes, std::chrono::milliseconds(2000)));
}

answer single(unsigned short port, std::string_view bytes) {
    auto answers = exchange(port, bytes);
    return answers.size() == 1 ? answers[0]
                               : answer{-2, {}, {}, "answers: " + std::to_string(answers.size())};
}

template <class Limits>
class catalogue_test : public ::testing::TestWithParam<hostile_case> {
public:
    static void SetUpTestSuite() {
        server_ = std::make_unique<catalogue_server>();
        std::vector<std::string> args = {"--store",
                                         "sqlite:" + server_->dir.path() + "/progress.db"};
        for (auto& a : Limits::args()) args.push_back(a);
        server_->process = std::make_unique<server_process>(args);
        const auto port = server_->process->port();
        ASSERT_EQ(single(port, post("victim", progress_body("victim", 3))).status, 200);
        ASSERT_EQ(single(port, post_log("victim", log_body(1))).status, 200);
        ASSERT_EQ(single(port, post_log("victim", log_body(2))).status, 200);
        server_->victim_progress = single(port, get("/api/progress/victim")).body;
        server_->victim_log = single(port, get("/api/progress/victim/log")).body;
        ASSERT_EQ(server_->victim_progress, progress_body("victim", 3));
        ASSERT_EQ(server_->victim_log, R"({"errors":[)" + log_body(1) + "," + log_body(2) + "]}");
        const int count =
            ::testing::UnitTest::GetInstance()->current_test_suite()->total_test_count();
        RecordProperty("catalogue_entries", count);
        std::printf("[ catalogue] %s: %d hostile requests\n", Limits::name, count);
    }
    static void TearDownTestSuite() { server_.reset(); }

protected:
    void run_entry(const hostile_case& c) {
        ASSERT_TRUE(server_ && server_->process) << "the server did not start";
        const auto port = server_->process->port();
        const auto started = std::chrono::steady_clock::now();
        const auto answers = exchange(port, c.bytes, c.half_close);
        EXPECT_LT(std::chrono::steady_clock::now() - started, c.budget);

        std::vector<int> statuses;
        for (const auto& a : answers) statuses.push_back(a.status);
        std::vector<int> expected_statuses;
        for (const auto& e : c.answers) expected_statuses.push_back(e.status);
        ASSERT_EQ(statuses, expected_statuses) << (answers.empty() ? "" : answers.back().body);
        for (std::size_t i = 0; i < answers.size(); ++i) {
            SCOPED_TRACE("answer " + std::to_string(i));
            EXPECT_EQ(header(answers[i], "content-type"), "application/json");
            if (c.answers[i].check) {
                boost::system::error_code ec;
                const auto json = boost::json::parse(answers[i].body, ec);
                ASSERT_FALSE(ec) << answers[i].body.substr(0, 200);
                c.answers[i].check(json);
            } else {
                EXPECT_EQ(answers[i].body, c.answers[i].body);
            }
        }
        if (c.check_first && !answers.empty()) c.check_first(answers[0]);
        expect_unharmed(c);
    }

    // The server answers on a new connection, the victim is byte-identical, the targets of the
    // request do not exist and what a valid-by-design request stored is exactly what it sent.
    void expect_unharmed(const hostile_case& c) {
        const auto port = server_->process->port();
        const auto health = single(port, get("/healthz"));
        EXPECT_EQ(health.status, 200);
        EXPECT_EQ(health.body, R"({"status":"ok"})");
        EXPECT_EQ(single(port, get("/api/progress/victim")).body, server_->victim_progress);
        EXPECT_EQ(single(port, get("/api/progress/victim/log")).body, server_->victim_log);
        for (const auto& id : c.absent) {
            SCOPED_TRACE("session " + id);
            const auto progress_answer = single(port, get("/api/progress/" + id));
            EXPECT_EQ(progress_answer.status, 404);
            EXPECT_EQ(progress_answer.body, error_only("Session not found"));
            EXPECT_EQ(single(port, get("/api/progress/" + id + "/log")).body, R"({"errors":[]})");
        }
        for (const auto& [target, body] : c.stored) {
            SCOPED_TRACE(target);
            const auto stored = single(port, get(target));
            EXPECT_EQ(stored.status, 200);
            EXPECT_EQ(stored.body, body);
        }
    }

private:
    static inline std::unique_ptr<catalogue_server> server_;
};

struct default_limits {
    static constexpr const char* name = "default limits";
    static std::vector<std::string> args() { return {}; }
};
struct large_body_limit {
    static constexpr const char* name = "--max-body 4194304";
    static std::vector<std::string> args() {
        return {"--max-body", std::to_string(raised_body_limit)};
    }
};

std::string case_name(const ::testing::TestParamInfo<hostile_case>& info) {
    return info.param.name;
}

class hostile_request_test : public catalogue_test<default_limits> {};
class hostile_large_body_test : public catalogue_test<large_body_limit> {};

TEST_P(hostile_request_test, is_answered_and_harms_nothing) { run_entry(GetParam()); }
TEST_P(hostile_large_body_test, is_answered_and_harms_nothing) { run_entry(GetParam()); }

INSTANTIATE_TEST_SUITE_P(catalogue, hostile_request_test,
                         ::testing::ValuesIn(default_limits_catalogue()), case_name);
INSTANTIATE_TEST_SUITE_P(catalogue, hostile_large_body_test,
                         ::testing::ValuesIn(large_body_catalogue()), case_name);

}  // namespace
}  // namespace progressd::testing
