#include "http/response.hpp"

#include "util/errors.hpp"

#include <cstdint>
#include <cstdio>
#include <functional>

namespace progressd::http {

reply json_reply(std::string json, unsigned status) { return reply{status, std::move(json)}; }

reply content_reply(std::string body, std::string_view content_type) {
    reply r{200, std::move(body)};
    r.content_type = content_type;
    return r;
}

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
    if (issues.omitted > 0) {
        body += R"(,"truncatedIssues":)";
        body += std::to_string(issues.omitted);
    }
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
    const bool quota = ec == store_errc::log_full || ec == store_errc::log_too_large;
    std::string body = R"({"error":)";
    model::append_json_string(body, action);
    body += R"(,"cause":)";
    model::append_json_string(body, ec.message());
    body += '}';
    reply r{full ? 507u : quota ? 429u : 503u, std::move(body)};
    r.quota_exceeded = full || quota;
    return r;
}

namespace {

// The ETag: a 64-bit hash of the body. std::hash of a string_view (libstdc++'s Murmur-based
// _Hash_bytes, fixed seed) reads eight bytes at a time and gives every instance built from the
// same source the same tag. Not for security: a collision would only make a client keep a copy
// it should have refreshed, which 64 bits make practically impossible.
std::uint64_t body_hash(std::string_view bytes) { return std::hash<std::string_view>{}(bytes); }

// Whether the If-None-Match list names `etag` (weak comparison, as RFC 9110 asks for it).
bool names_tag(std::string_view list, std::string_view etag) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item.starts_with("W/")) item.remove_prefix(2);
        if (item == "*" || item == etag) return true;
    }
    return false;
}

}  // namespace

void make_conditional(reply& r, std::string_view if_none_match) {
    if (r.status != 200) return;
    char tag[20];
    std::snprintf(tag, sizeof tag, "\"%016llx\"",
                  static_cast<unsigned long long>(body_hash(r.body)));
    r.etag = tag;
    if (!if_none_match.empty() && names_tag(if_none_match, r.etag)) {
        r.status = 304;
        r.body.clear();
    }
}

namespace {

std::string error_with_details(std::string_view error, std::string_view message) {
    std::string body = R"({"error":)";
    model::append_json_string(body, error);
    body += R"(,"details":[{"message":)";
    model::append_json_string(body, message);
    body += "}]";
    return body;
}

}  // namespace

reply auth_failure_reply(unsigned status, std::string_view message) {
    reply r{status,
            error_with_details(status == 401 ? "Unauthorized" : "Forbidden", message) + '}'};
    if (status == 401) r.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="progressd")");
    return r;
}

reply rate_limited_reply(std::string_view message, unsigned retry_after_seconds) {
    const std::string seconds = std::to_string(retry_after_seconds);
    reply r{429,
            error_with_details("Too many requests", message) + R"(,"retryAfter":)" + seconds + '}'};
    r.headers.emplace_back("Retry-After", seconds);
    return r;
}

reply method_not_allowed_reply(std::string_view allow) {
    reply r = error_reply(405, "Method not allowed");
    r.allow = allow;
    return r;
}

}  // namespace progressd::http
