#include "api/progress_api.hpp"

#include "api/write_keys.hpp"

#include "model/json_text.hpp"
#include "model/merge_patch.hpp"
#include "model/serialize.hpp"
#include "model/text_encoding.hpp"
#include "model/validation.hpp"
#include "web/assets.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

namespace progressd::api {
namespace {

using boost::beast::http::field;
using boost::beast::http::verb;
namespace net = boost::asio;

// Parses a request body as JSON after decoding its charset (see model/text_encoding.hpp).
std::variant<boost::json::value, model::json_syntax_error> parse_body(const http::request& req) {
    const std::string_view content_type = req[field::content_type];
    if (auto decoded = model::to_utf8_text(req.body(), content_type)) {
        return model::parse_json(*decoded);
    }
    return model::parse_json(req.body());
}

// `validated` as a T within the quotas, or the 400 reply that says why it is not one.
template <class T>
std::variant<T, http::reply> accept(model::validated<T> validated,
                                    const model::quota_limits& quotas,
                                    std::string_view invalid_message) {
    if (auto* issues = std::get_if<model::issue_list>(&validated)) {
        return http::validation_reply(invalid_message, *issues);
    }
    auto issues = model::check_quotas(std::get<T>(validated), quotas);
    if (!issues.empty()) {
        auto r = http::validation_reply(invalid_message, issues);
        r.quota_exceeded = true;
        return r;
    }
    return std::get<T>(std::move(validated));
}

// The body of `req` as a valid T within the quotas, or the 400 reply that says why it is not.
template <class T>
std::variant<T, http::reply> decode_body(const http::request& req,
                                         model::validated<T> (*validate)(const boost::json::value&),
                                         const model::quota_limits& quotas,
                                         std::string_view invalid_message) {
    auto parsed = parse_body(req);
    if (auto* syntax_error = std::get_if<model::json_syntax_error>(&parsed)) {
        return http::invalid_json_reply(*syntax_error);
    }
    return accept(validate(std::get<boost::json::value>(parsed)), quotas, invalid_message);
}

// Tells the writer the key it just received: as X-Write-Key and as "writeKey" in the JSON
// object answered, whatever its status (a write that claimed a session and then failed in
// the store must still hand the key over, or its retry would be refused).
void hand_over_key(http::reply& r, const write_permit& permit) {
    if (!permit.new_key) return;
    r.headers.emplace_back("X-Write-Key", *permit.new_key);
    if (r.body.empty() || r.body.back() != '}') return;
    r.body.pop_back();
    r.body += R"(,"writeKey":)";
    model::append_json_string(r.body, *permit.new_key);
    r.body += '}';
}

// 429 for a store quota: `message`, and one too_big issue with `origin` and `maximum`, worded
// as Zod words a too-long array (origin "array") or progressd a too-large text (see issues.cpp).
http::reply quota_reply(std::string_view message, std::string_view origin, std::uint64_t maximum) {
    model::issue full;
    full.code = model::issue::code_kind::too_big;
    full.origin = origin;
    full.maximum = maximum;
    http::reply r = http::validation_reply(message, {full});
    r.status = 429;
    r.quota_exceeded = true;
    return r;
}

// {"success":true,"sessionId":…} and, for a log append, "totalErrors".
std::string success_body(std::string_view session_id, std::optional<std::uint64_t> total_errors) {
    std::string body = R"({"success":true,"sessionId":)";
    model::append_json_string(body, session_id);
    if (total_errors) {
        body += R"(,"totalErrors":)";
        body += std::to_string(*total_errors);
    }
    body += '}';
    return body;
}

// A file of web/ compiled into the binary, or 404 when there is no such file.
http::reply web_reply(std::string_view name) {
    const web::asset* found = web::find_asset(name);
    if (found == nullptr) return http::error_reply(404, "Not found");
    return http::content_reply(std::string(found->body), found->content_type);
}

}  // namespace

progress_api::progress_api(store::store& store, live::hub& hub, const clock& clock,
                           metrics::registry& metrics, const api_options& options)
    : store_(store),
      hub_(hub),
      clock_(clock),
      metrics_(metrics),
      options_(options),
      readiness_(store) {}

net::awaitable<http::reply> progress_api::handle(const http::route& r, const http::request& req,
                                                 const http::peer& from) {
    http::reply answer = co_await route_request(r, req, from);
    if (answer.quota_exceeded) metrics_.count_rejected(metrics::rejection::quota);
    co_return answer;
}

net::awaitable<http::reply> progress_api::route_request(const http::route& r,
                                                        const http::request& req,
                                                        const http::peer& from) {
    const verb method = req.method();
    if (method == verb::options) co_return http::json_reply("{}");
    switch (r.target) {
        case http::endpoint::healthz:
            co_return http::json_reply(R"({"status":"ok"})");
        case http::endpoint::readyz:
            co_return co_await readiness();
        case http::endpoint::progress:
            if (method == verb::post) co_return co_await post_progress(r.session_id, req);
            if (method == verb::patch) co_return co_await patch_progress(r.session_id, req);
            if (method == verb::delete_) co_return co_await remove_progress(r.session_id);
            co_return co_await get_progress(r.session_id);
        case http::endpoint::progress_log:
            if (method == verb::post) co_return co_await post_log(r.session_id, req);
            co_return co_await get_log(r.session_id);
        case http::endpoint::progress_events:
            co_return co_await events(r.session_id, req, from);
        case http::endpoint::start_page:
            co_return web_reply("start.html");
        case http::endpoint::live_page:
            co_return web_reply("dashboard.html");  // the page reads the id from its URL
        case http::endpoint::asset:
            co_return web_reply(r.asset_name);
        case http::endpoint::admin_sessions:
        case http::endpoint::admin_stats:
        case http::endpoint::metrics:
            break;  // served by admin_api, in front of which the gateway routes them
    }
    co_return http::error_reply(404, "Not found");
}

net::awaitable<http::reply> progress_api::get_progress(std::string session_id) {
    auto stored = co_await store_.get(std::move(session_id));
    if (stored) co_return http::json_reply(std::move(stored->json));
    if (stored.error() == store_errc::not_found) {
        co_return http::error_reply(404, "Session not found");
    }
    co_return http::store_failure_reply("Failed to retrieve progress", stored.error());
}

net::awaitable<http::reply> progress_api::post_progress(std::string session_id,
                                                        const http::request& req) {
    auto body =
        decode_body(req, model::validate_progress, options_.quotas, "Invalid progress data");
    if (auto* rejection = std::get_if<http::reply>(&body)) co_return std::move(*rejection);
    const auto& progress = std::get<model::progress>(body);
    if (progress.session_id != session_id) co_return http::error_reply(400, "Session ID mismatch");
    auto json = std::make_shared<const std::string>(model::to_json(progress));
    if (auto too_large = check_progress_size(*json)) co_return std::move(*too_large);
    auto permit = co_await permit_write(session_id, req, "Failed to store progress");
    if (auto* refusal = std::get_if<http::reply>(&permit)) co_return std::move(*refusal);

    auto version = co_await store_.put(session_id, *json, options_.ttl);
    http::reply r = version
                        ? http::json_reply(success_body(session_id, std::nullopt))
                        : http::store_failure_reply("Failed to store progress", version.error());
    if (version) hub_.publish_progress(session_id, {*version, std::move(json)});
    hand_over_key(r, std::get<write_permit>(permit));
    co_return r;
}

// Checked before the write key is claimed and before the store is asked: a put replaces the
// whole text, so its size alone decides and no store needs to see it.
std::optional<http::reply> progress_api::check_progress_size(const std::string& json) const {
    if (json.size() <= options_.max_progress_bytes) return std::nullopt;
    return quota_reply("Progress data is too large", "progress", options_.max_progress_bytes);
}

net::awaitable<std::variant<write_permit, http::reply>> progress_api::permit_write(
    const std::string& session_id, const http::request& req, std::string_view write_action) {
    if (!options_.session_keys) co_return write_permit{};
    co_return co_await check_write_key(store_, session_id, req["X-Write-Key"], options_.ttl,
                                       write_action);
}

// By value, as every coroutine's parameters: a reference could outlive what it refers to.
// cppcheck-suppress passedByValue
net::awaitable<http::reply> progress_api::remove_progress(std::string session_id) {
    auto existed = co_await store_.remove(session_id);
    if (!existed) co_return http::store_failure_reply("Failed to delete progress", existed.error());
    hub_.publish_deleted(session_id);
    std::string body = success_body(session_id, std::nullopt);
    body.pop_back();
    body += *existed ? R"(,"deleted":true})" : R"(,"deleted":false})";
    co_return http::json_reply(std::move(body));
}

namespace {

net::awaitable<void> pause_before_retry(int attempt) {
    thread_local std::minstd_rand random(std::random_device{}());
    const int ceiling_us = 200 * std::min(attempt + 1, 10);
    std::uniform_int_distribution<int> delay(0, ceiling_us);
    // Its own statement: GCC 12 can mishandle temporaries around a co_await in an argument list.
    const auto executor = co_await net::this_coro::executor;
    net::steady_timer timer(executor, std::chrono::microseconds(delay(random)));
    co_await timer.async_wait(net::as_tuple(net::use_awaitable));
}

}  // namespace

// A PATCH is a read-merge-validate-write loop closed by a conditional write: if another write
// lands between the read and the write, the write is refused and the loop starts again from
// the newer state, so concurrent PATCHes of one session all take effect. The write key is
// claimed only once the first merged document passed every check (as POST claims after its
// checks): a refused PATCH neither locks the session with a key nobody holds nor leaves a key
// row behind. Once claimed, every answer hands a fresh key over. By value, as every coroutine's
// parameters.
// cppcheck-suppress passedByValue
net::awaitable<http::reply> progress_api::patch_progress(std::string session_id,
                                                         const http::request& req) {
    auto parsed = parse_body(req);
    if (auto* syntax_error = std::get_if<model::json_syntax_error>(&parsed)) {
        co_return http::invalid_json_reply(*syntax_error);
    }
    std::optional<write_permit> granted;
    http::reply r =
        co_await patch_loop(session_id, std::get<boost::json::value>(parsed), req, granted);
    if (granted) hand_over_key(r, *granted);
    co_return r;
}

net::awaitable<http::reply> progress_api::patch_loop(const std::string& session_id,
                                                     const boost::json::value& patch,
                                                     const http::request& req,
                                                     std::optional<write_permit>& granted) {
    constexpr int max_attempts = 64;
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
        auto current = co_await store_.get(session_id);
        if (!current && current.error() != store_errc::not_found) {
            co_return http::store_failure_reply("Failed to store progress", current.error());
        }
        boost::json::value document;
        std::optional<std::uint64_t> expected;
        if (current) {
            auto stored = model::parse_json(current->json);
            if (auto* value = std::get_if<boost::json::value>(&stored))
                document = std::move(*value);
            expected = current->version;
        } else {
            document = model::default_progress(session_id, to_iso8601(clock_.now()));
        }
        model::apply_merge_patch(document, patch);
        auto accepted =
            accept(model::validate_progress(document), options_.quotas, "Invalid progress data");
        if (auto* rejection = std::get_if<http::reply>(&accepted)) co_return std::move(*rejection);
        const auto& progress = std::get<model::progress>(accepted);
        if (progress.session_id != session_id) {
            co_return http::error_reply(400, "Session ID mismatch");
        }
        auto json = std::make_shared<const std::string>(model::to_json(progress));
        if (auto too_large = check_progress_size(*json)) co_return std::move(*too_large);
        if (!granted) {
            auto permit = co_await permit_write(session_id, req, "Failed to store progress");
            if (auto* refusal = std::get_if<http::reply>(&permit)) co_return std::move(*refusal);
            granted = std::get<write_permit>(std::move(permit));
        }
        auto version = co_await store_.put_if(session_id, *json, options_.ttl, expected);
        if (version) {
            hub_.publish_progress(session_id, {*version, json});
            co_return http::json_reply(*json);
        }
        if (version.error() != store_errc::conflict) {
            co_return http::store_failure_reply("Failed to store progress", version.error());
        }
        // Someone else wrote first. Wait a moment, longer each time and at random, so that
        // writers racing for one session take turns instead of colliding again.
        co_await pause_before_retry(attempt);
    }
    co_return http::error_reply(409, "Too many concurrent updates to this session; try again");
}

net::awaitable<http::reply> progress_api::get_log(std::string session_id) {
    auto entries = co_await store_.get_log(std::move(session_id));
    if (!entries) {
        co_return http::store_failure_reply("Failed to retrieve error log", entries.error());
    }
    std::string body;
    body.reserve(entries->size() + 12);
    body += R"({"errors":)";
    body += *entries;
    body += '}';
    co_return http::json_reply(std::move(body));
}

net::awaitable<http::reply> progress_api::post_log(std::string session_id,
                                                   const http::request& req) {
    auto body =
        decode_body(req, model::validate_log_entry, options_.quotas, "Invalid error log entry");
    if (auto* rejection = std::get_if<http::reply>(&body)) co_return std::move(*rejection);
    auto permit = co_await permit_write(session_id, req, "Failed to append to error log");
    if (auto* refusal = std::get_if<http::reply>(&permit)) co_return std::move(*refusal);
    auto entry =
        std::make_shared<const std::string>(model::to_json(std::get<model::log_entry>(body)));
    auto total = co_await store_.append_log(session_id, *entry, options_.ttl);
    http::reply r = total ? http::json_reply(success_body(session_id, *total))
                    : total.error() == store_errc::log_full
                        ? quota_reply("Error log is full", "array", options_.max_log_entries)
                    : total.error() == store_errc::log_too_large
                        ? quota_reply("Error log is too large", "log", options_.max_log_bytes)
                        : http::store_failure_reply("Failed to append to error log", total.error());
    if (total) hub_.publish_log(session_id, {*total, std::move(entry)});
    hand_over_key(r, std::get<write_permit>(permit));
    co_return r;
}

net::awaitable<http::reply> progress_api::events(std::string session_id, const http::request& req,
                                                 const http::peer& from) {
    const auto executor = co_await net::this_coro::executor;
    auto w = std::make_shared<live::watcher>(executor);
    // Registered before the stream reads the current state, so no write in between is missed.
    auto [registration, refusal] = hub_.watch(session_id, from.address, w);
    if (refusal == live::watch_refusal::instance_full) {
        co_return http::error_reply(503, "Too many watchers on this server");
    }
    if (refusal == live::watch_refusal::client_full) {
        co_return http::error_reply(429, "Too many watchers from this client");
    }
    const auto resume = live::parse_event_id(req["Last-Event-ID"]);
    const live::stream_options options{options_.ttl, options_.heartbeat};
    http::reply r(200, {});
    r.stream = [this, w, options, resume, id = std::move(session_id),
                held = std::shared_ptr<live::hub::registration>(std::move(registration))](
                   live::event_sink& sink) {
        return live::stream_session(store_, *w, id, resume, options, sink);
    };
    co_return r;
}

net::awaitable<http::reply> progress_api::readiness() {
    const auto ready = co_await readiness_.check();
    if (ready) co_return http::json_reply(R"({"status":"ready"})");
    spdlog::warn("not ready: store answered '{}'", ready.error().message());
    co_return http::store_failure_reply("Store not ready", ready.error());
}

}  // namespace progressd::api
