#include "http/response.hpp"

#include "util/errors.hpp"

#include <cstdint>
#include <cstdio>

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

namespace {

// FNV-1a, 64 bits: a content hash for ETags, not for security; a collision would only make a
// client keep a copy it should have refreshed, and 64 bits make that practically impossible.
std::uint64_t fnv1a(std::string_view bytes) {
    std::uint64_t hash = 14695981039346656037ULL;
    for (const char c : bytes) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    return hash;
}

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
    std::snprintf(tag, sizeof tag, "\"%016llx\"", static_cast<unsigned long long>(fnv1a(r.body)));
    r.etag = tag;
    if (!if_none_match.empty() && names_tag(if_none_match, r.etag)) {
        r.status = 304;
        r.body.clear();
    }
}

reply method_not_allowed_reply(std::string_view allow) {
    reply r = error_reply(405, "Method not allowed");
    r.allow = allow;
    return r;
}

}  // namespace progressd::http
