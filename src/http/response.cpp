#include "http/response.hpp"

#include "util/errors.hpp"

namespace progressd::http {

reply json_reply(std::string json, unsigned status) { return reply{status, std::move(json)}; }

reply error_reply(unsigned status, std::string_view message) {
    std::string body = R"({"error":)";
    model::append_json_string(body, message);
    body += '}';
    return reply{status, std::move(body)};
}

reply invalid_json_reply(const model::json_syntax_error& error) {
    std::string body = R"({"error":"Invalid JSON","details":[{"message":)";
    model::append_json_string(body, error.message);
    body += R"(,"position":)";
    body += std::to_string(error.position);
    body += "}]}";
    return reply{400, std::move(body)};
}

reply validation_reply(std::string_view message, const model::issue_list& issues) {
    std::string body = R"({"error":)";
    model::append_json_string(body, message);
    body += R"(,"details":)";
    model::append_issues_json(body, issues);
    body += '}';
    return reply{400, std::move(body)};
}

reply invalid_session_id_reply(std::string_view problem) {
    std::string body = R"({"error":"Invalid session ID","details":[{"message":)";
    model::append_json_string(body, problem);
    body += "}]}";
    return reply{400, std::move(body)};
}

reply store_failure_reply(std::string_view action, boost::system::error_code ec) {
    const bool full = ec == store_errc::storage_full;
    std::string body = R"({"error":)";
    model::append_json_string(body, action);
    body += R"(,"cause":)";
    model::append_json_string(body, ec.message());
    body += '}';
    return reply{full ? 507u : 503u, std::move(body)};
}

reply method_not_allowed_reply(std::string_view allow) {
    reply r = error_reply(405, "Method not allowed");
    r.allow = allow;
    return r;
}

}  // namespace progressd::http
