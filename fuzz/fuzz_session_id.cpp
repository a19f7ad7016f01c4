// Session ids on their way through a URL: the id rule (model/session_id), the router's
// per-segment percent-decoding (http/router), progressctl's encoding (cli::encode_path_segment)
// and query parameters (http::query_parameter).
//
// Invariants:
// - session_id_problem accepts exactly what a plain reference accepts: valid UTF-8 of 1 to 200
//   code points with no C0 or C1 control, DEL or '/', not ending in a reserved key suffix (and
//   is_valid_utf8 agrees with a plain UTF-8 decoder);
// - encode_path_segment gives only path characters and percent escapes, and every route with
//   that segment hands back the same id when it is valid, or a 400 when it is not;
// - the raw input as a path segment: the router never hands out an id the rule refuses, and a
//   segment of path characters and escapes decodes to what a reference decoder gives;
// - a query value encoded with encodeURIComponent's character set decodes back to itself.
#include "fuzz_check.hpp"

#include "cli/http_client.hpp"
#include "http/router.hpp"
#include "model/session_id.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <cstdint>
#include <string>

namespace progressd::fuzz {
namespace {

using http::endpoint;

std::optional<std::string> reference_problem(std::string_view id) {
    const auto code_points = decode_utf8(id);
    if (!code_points) return "invalid UTF-8";
    if (code_points->empty()) return "empty";
    if (code_points->size() > model::max_session_id_characters) return "too long";
    for (const char32_t c : *code_points) {
        if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return "control character";
        if (c == '/') return "slash";
    }
    // Spelled out here rather than taken from model/session_id, so that the rule is checked
    // against the key layout of docs/storage.md, not against itself.
    for (const std::string_view suffix :
         {":log", ":log:meta", ":version", ":key", ":timeline", ":tombstone"}) {
        if (id.ends_with(suffix)) return "reserved suffix";
    }
    return std::nullopt;
}

bool is_pchar(char c) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')) return true;
    return std::string_view("-._~!$&'()*+,;=:@").find(c) != std::string_view::npos;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The decoded segment when `segment` is only path characters and well-formed escapes.
std::optional<std::string> reference_decode(std::string_view segment) {
    std::string out;
    for (std::size_t i = 0; i < segment.size(); ++i) {
        if (segment[i] == '%') {
            if (i + 2 >= segment.size()) return std::nullopt;
            const int high = hex_value(segment[i + 1]);
            const int low = hex_value(segment[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else if (is_pchar(segment[i])) {
            out += segment[i];
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::string describe(const std::variant<http::route, http::reply>& routed) {
    if (const auto* r = std::get_if<http::route>(&routed)) {
        return "route " + std::string(http::endpoint_name(r->target)) + " id '" + r->session_id +
               "'";
    }
    const auto& reply = std::get<http::reply>(routed);
    return "reply " + std::to_string(reply.status) + " " + reply.body;
}

// `target` names `expected` for `id`: the route when the id is valid, else a 400 in JSON.
void expect_route(const std::string& target, endpoint expected, std::string_view id, bool valid) {
    const auto routed = http::match_route(target);
    const std::string detail = target + " -> " + describe(routed);
    if (valid) {
        const auto* r = std::get_if<http::route>(&routed);
        FUZZ_CHECK_MSG(r != nullptr && r->target == expected && r->session_id == id, detail);
    } else {
        const auto* reply = std::get_if<http::reply>(&routed);
        FUZZ_CHECK_MSG(reply != nullptr && reply->status == 400 && is_json(reply->body), detail);
    }
}

// Whatever the router makes of a target, an id it hands out is a valid one.
void check_any_route(const std::string& target) {
    const auto routed = http::match_route(target);
    if (const auto* r = std::get_if<http::route>(&routed)) {
        const bool has_id =
            r->target == endpoint::progress || r->target == endpoint::progress_log ||
            r->target == endpoint::progress_events || r->target == endpoint::live_page;
        if (has_id) FUZZ_CHECK_MSG(!model::session_id_problem(r->session_id), describe(routed));
        if (!has_id) FUZZ_CHECK(r->session_id.empty());
    } else {
        const auto& reply = std::get<http::reply>(routed);
        FUZZ_CHECK_MSG(reply.status == 400 || reply.status == 404, describe(routed));
        FUZZ_CHECK_MSG(is_json(reply.body), reply.body);
    }
}

void check_encoded_id(std::string_view id) {
    const bool valid = !model::session_id_problem(id);
    const std::string encoded = cli::encode_path_segment(id);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        FUZZ_CHECK_MSG(is_pchar(encoded[i]) ||
                           (encoded[i] == '%' && i + 2 < encoded.size() &&
                            hex_value(encoded[i + 1]) >= 0 && hex_value(encoded[i + 2]) >= 0),
                       encoded);
    }
    FUZZ_CHECK(reference_decode(encoded) == std::string(id));
    if (id.empty()) {
        // "/api/progress/" is "/api/progress" with a trailing slash: no such route.
        FUZZ_CHECK(std::holds_alternative<http::reply>(http::match_route("/api/progress/")));
        expect_route("/api/progress//log", endpoint::progress_log, id, false);
        return;
    }
    expect_route("/api/progress/" + encoded, endpoint::progress, id, valid);
    expect_route("/api/progress/" + encoded + "/", endpoint::progress, id, valid);
    expect_route("/api/progress/" + encoded + "/log", endpoint::progress_log, id, valid);
    expect_route("/api/progress/" + encoded + "/events?token=t%20", endpoint::progress_events, id,
                 valid);
    expect_route("http://progress.example:3000/api/progress/" + encoded, endpoint::progress, id,
                 valid);
    expect_route("/live/" + encoded, endpoint::live_page, id, valid);
}

void check_raw_segment(std::string_view raw) {
    const std::string target = "/api/progress/" + std::string(raw);
    check_any_route(target);
    check_any_route(target + "/log");
    check_any_route("/live/" + std::string(raw));
    check_any_route(std::string(raw));
    if (const auto decoded = reference_decode(raw); decoded && !decoded->empty()) {
        expect_route(target, endpoint::progress, *decoded, !model::session_id_problem(*decoded));
    }
}

void check_query(std::string_view raw) {
    const std::string encoded = boost::urls::encode(raw, boost::urls::unreserved_chars);
    const std::string target = "/api/admin/sessions?limit=5&cursor=" + encoded + "&x";
    FUZZ_CHECK_MSG(http::query_parameter(target, "cursor") == raw, target);
    FUZZ_CHECK(http::query_parameter(target, "limit") == "5");
    FUZZ_CHECK(http::query_parameter(target, "x").empty());
    (void)http::query_parameter("/x?" + std::string(raw), "token");
    (void)http::query_parameter(std::string(raw), std::string(raw));
}

}  // namespace
}  // namespace progressd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    progressd::fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace progressd;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    FUZZ_CHECK(model::is_valid_utf8(input) == fuzz::decode_utf8(input).has_value());
    const auto problem = model::session_id_problem(input);
    const auto expected = fuzz::reference_problem(input);
    FUZZ_CHECK_MSG(problem.has_value() == expected.has_value(),
                   problem ? *problem : "accepted, but: " + *expected);
    fuzz::check_encoded_id(input);
    fuzz::check_raw_segment(input);
    fuzz::check_query(input);
    return 0;
}
