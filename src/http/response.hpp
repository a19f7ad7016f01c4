// What a handler answers, and the one place where errors become HTTP statuses and JSON bodies
// (STYLE.md §4). Every body is JSON but the web pages and assets; the session adds the CORS
// headers to all of them.
#pragma once

#include "model/issues.hpp"
#include "model/json_text.hpp"

#include "live/event_sink.hpp"

#include <boost/system/error_code.hpp>

#include <functional>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd::http {

struct reply {
    reply() = default;
    reply(unsigned status_code, std::string json) : status(status_code), body(std::move(json)) {}

    unsigned status = 200;
    std::string body;  ///< JSON text, or of `content_type`
    /// The Content-Type header; points to static storage. HTML answers also get the security
    /// headers (session.cpp).
    std::string_view content_type = "application/json";
    std::string_view allow;  ///< the Allow header of a 405, empty otherwise
    std::string etag;        ///< the ETag header, set by make_conditional
    /// Further headers for this answer, e.g. Retry-After; names point to static storage.
    std::vector<std::pair<std::string_view, std::string>> headers;
    bool close_connection = false;
    bool quota_exceeded = false;  ///< refused by a quota (counted in the metrics)
    /// Set for an event stream: the session sends a text/event-stream header instead of `body`,
    /// runs this until it returns, and then closes the connection.
    std::function<boost::asio::awaitable<void>(live::event_sink&)> stream;
};

/// 200 (or `status`) with `json` as the body.
reply json_reply(std::string json, unsigned status = 200);

/// 200 with `body` (not JSON) as `content_type`, which must point to static storage. A
/// "text/html" type gets the page security headers. Example: a web asset.
reply content_reply(std::string body, std::string_view content_type);

/// `status` with {"error": message}, the shape of every error of the original app.
reply error_reply(unsigned status, std::string_view message);

/// 400 {"error":"Invalid JSON","details":[{"message":…,"position":…}]}.
reply invalid_json_reply(const model::json_syntax_error& error);

/// 400 {"error": message, "details": [Zod issues]}, plus "truncatedIssues": N when N issues
/// past model::max_reported_issues were found and not reported.
reply validation_reply(std::string_view message, const model::issue_list& issues);

/// 400 {"error":"Invalid session ID","details":[{"message": problem}]}.
reply invalid_session_id_reply(std::string_view problem);

/// A store failure while doing `action` (the original's message, e.g. "Failed to store
/// progress"): 507 when storage is full, 503 otherwise, with the cause in words.
reply store_failure_reply(std::string_view action, boost::system::error_code ec);
/// (A 507 or 429 of a full store or log also sets quota_exceeded.)

/// 401 {"error":"Unauthorized",…} (with WWW-Authenticate) or 403 {"error":"Forbidden",…}, with
/// `message` saying which credential is missing or wrong, as {"details":[{"message":…}]}.
reply auth_failure_reply(unsigned status, std::string_view message);

/// 429 {"error":"Too many requests","details":[{"message":…}],"retryAfter":s} with Retry-After.
reply rate_limited_reply(std::string_view message, unsigned retry_after_seconds);

/// 405 with the Allow header.
reply method_not_allowed_reply(std::string_view allow);

/// Gives a 200 reply an ETag derived from its body and, when `if_none_match` (the request's
/// If-None-Match header, possibly empty) already names that tag, turns it into a bodiless 304.
/// A dashboard that polls an unchanged session then costs a few bytes per poll.
void make_conditional(reply& r, std::string_view if_none_match);

}  // namespace progressd::http
