#include "api/admin_api.hpp"

#include "http/router.hpp"
#include "model/js_number.hpp"
#include "model/json_text.hpp"

#include <boost/json/parse.hpp>

#include <array>
#include <charconv>

namespace progressd::api {
namespace {

namespace net = boost::asio;
namespace json = boost::json;

constexpr std::array<std::string_view, 5> tool_states = {"pending", "installing", "success",
                                                         "error", "skipped"};

std::optional<std::size_t> parse_limit(std::string_view text, std::size_t maximum) {
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > maximum) {
        return std::nullopt;
    }
    return value;
}

void append_number(std::string& out, const json::value& v) {
    if (v.is_number()) {
        model::append_js_number(out, v.to_number<double>());
    } else {
        out += "null";
    }
}

}  // namespace

std::string session_summary_json(const store::store::listed_session& session) {
    std::string out = R"({"sessionId":)";
    model::append_json_string(out, session.session_id);
    boost::system::error_code ec;
    const auto document = json::parse(session.progress.json, ec);
    if (!ec && document.is_object()) {
        const auto& p = document.get_object();
        out += R"(,"currentStep":)";
        append_number(out, p.contains("currentStep") ? p.at("currentStep") : json::value());
        if (const auto* total = p.if_contains("totalSteps")) {
            out += R"(,"totalSteps":)";
            append_number(out, *total);
        }
        const auto* complete = p.if_contains("complete");
        out += R"(,"complete":)";
        out +=
            complete != nullptr && complete->is_bool() && complete->get_bool() ? "true" : "false";
        if (const auto* phase = p.if_contains("phase"); phase != nullptr && phase->is_string()) {
            out += R"(,"phase":)";
            model::append_json_string(out, phase->get_string());
        }
        std::array<std::size_t, tool_states.size()> counts{};
        if (const auto* tools = p.if_contains("toolStatus"); tools && tools->is_object()) {
            for (const auto& [name, tool] : tools->get_object()) {
                const auto* status =
                    tool.is_object() ? tool.get_object().if_contains("status") : nullptr;
                if (status == nullptr || !status->is_string()) continue;
                for (std::size_t i = 0; i < tool_states.size(); ++i) {
                    if (status->get_string() == tool_states[i]) ++counts[i];
                }
            }
        }
        out += R"(,"tools":{)";
        for (std::size_t i = 0; i < tool_states.size(); ++i) {
            if (i > 0) out += ',';
            model::append_json_string(out, tool_states[i]);
            out += ':';
            out += std::to_string(counts[i]);
        }
        out += '}';
        const auto* errors = p.if_contains("errors");
        out += R"(,"errors":)";
        out += std::to_string(errors != nullptr && errors->is_array() ? errors->get_array().size()
                                                                      : 0);
        if (const auto* at = p.if_contains("timestamp"); at != nullptr && at->is_string()) {
            out += R"(,"updatedAt":)";
            model::append_json_string(out, at->get_string());
        }
    }
    out += R"(,"expiresIn":)";
    out += std::to_string(session.expires_in.count());
    out += '}';
    return out;
}

admin_api::admin_api(store::store& store, const live::hub& hub, const write_meter& writes,
                     const metrics::registry& metrics, admin_options options)
    : store_(store), hub_(hub), writes_(writes), metrics_(metrics), options_(std::move(options)) {}

net::awaitable<http::reply> admin_api::metrics() {
    metrics::gauges gauges;
    gauges.watchers = hub_.watcher_count();
    // Published by the store where it keeps one: a scrape must not queue behind writes.
    if (const auto published = store_.published_count()) {
        gauges.sessions_stored = *published;
    } else {
        auto sessions = co_await store_.count();
        if (sessions) gauges.sessions_stored = *sessions;
    }
    if (options_.open_connections) gauges.open_connections = options_.open_connections();
    co_return http::content_reply(metrics_.render(gauges),
                                  "text/plain; version=0.0.4; charset=utf-8");
}

net::awaitable<http::reply> admin_api::sessions(const http::request& req) {
    std::size_t limit = options_.default_page;
    if (const auto text = http::query_parameter(req.target(), "limit"); !text.empty()) {
        const auto parsed = parse_limit(text, options_.max_page);
        if (!parsed) {
            co_return http::error_reply(
                400, "limit must be a whole number from 1 to " + std::to_string(options_.max_page));
        }
        limit = *parsed;
    }
    auto page = co_await store_.list(http::query_parameter(req.target(), "cursor"), limit);
    if (!page) co_return http::store_failure_reply("Failed to list sessions", page.error());
    std::string body = R"({"sessions":[)";
    for (std::size_t i = 0; i < page->sessions.size(); ++i) {
        if (i > 0) body += ',';
        body += session_summary_json(page->sessions[i]);
    }
    body += R"(],"nextCursor":)";
    if (page->next_cursor.empty()) {
        body += "null";
    } else {
        model::append_json_string(body, page->next_cursor);
    }
    body += '}';
    co_return http::json_reply(std::move(body));
}

net::awaitable<http::reply> admin_api::stats() {
    const auto ping_started = std::chrono::steady_clock::now();
    const auto ping = co_await store_.ping();
    const std::chrono::duration<double, std::milli> ping_time =
        std::chrono::steady_clock::now() - ping_started;
    auto sessions = co_await store_.count();

    std::string body = R"({"store":)";
    model::append_json_string(body, options_.store_name);
    body += R"(,"storeReady":)";
    body += ping ? "true" : "false";
    body += R"(,"storePingMs":)";
    model::append_js_number(body, std::round(ping_time.count() * 1000) / 1000);
    // Counting is a scan on Redis and REST stores: null there rather than slow.
    body += R"(,"sessions":)";
    body += sessions ? std::to_string(*sessions) : "null";
    body += R"(,"writesLastMinute":)";
    body += std::to_string(writes_.last_minute());
    body += R"(,"watchers":)";
    body += std::to_string(hub_.watcher_count());
    body += R"(,"uptimeSeconds":)";
    body += std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now() - started_)
                               .count());
    body += R"(,"version":")" PROGRESSD_VERSION R"("})";
    co_return http::json_reply(std::move(body));
}

}  // namespace progressd::api
