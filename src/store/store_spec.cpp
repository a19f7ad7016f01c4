#include "store/store_spec.hpp"

#include "store/kv_rest_store.hpp"
#include "store/memory_store.hpp"
#include "store/redis_store.hpp"
#include "store/sqlite_store.hpp"

namespace progressd::store {

std::string redact_password(std::string_view text) {
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return std::string(text);
    const auto authority_begin = scheme_end + 3;
    const auto authority_end = text.find_first_of("/?#", authority_begin);
    const std::string_view authority =
        text.substr(authority_begin, authority_end - authority_begin);
    // The last '@': a password with an unescaped '@' must not leave its tail behind.
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(text);
    const std::string_view userinfo = authority.substr(0, at);
    const auto colon = userinfo.find(':');
    std::string out(text.substr(0, authority_begin));
    if (colon != std::string_view::npos) out += userinfo.substr(0, colon + 1);
    out += "***";
    out += text.substr(authority_begin + at);
    return out;
}

std::optional<store_spec> parse_store_spec(std::string_view text, std::string* problem) {
    const auto colon = text.find(':');
    const std::string_view scheme = text.substr(0, colon);
    const std::string_view rest = colon == std::string_view::npos ? "" : text.substr(colon + 1);
    if (colon != std::string_view::npos && scheme == "memory" && rest.empty()) {
        return store_spec{store_spec::kind::memory, {}, {}, {}};
    }
    if (scheme == "redis" || scheme == "rediss") {
        return store_spec{store_spec::kind::redis, std::string(text), {}, {}};
    }
    if (scheme == "kv-rest" && rest.empty())
        return store_spec{store_spec::kind::kv_rest, {}, {}, {}};
    if (colon != std::string_view::npos && scheme == "sqlite") {
        if (rest.empty()) {
            *problem = "--store sqlite: needs a file path, e.g. sqlite:./data/progress.db";
            return std::nullopt;
        }
        return store_spec{store_spec::kind::sqlite, std::string(rest), {}, {}};
    }
    *problem = "unknown store '" + redact_password(text) +
               "': use sqlite:PATH (e.g. sqlite:./data/progress.db), memory:, "
               "redis://[user:password@]host:port[/db] or kv-rest:";
    return std::nullopt;
}

std::unique_ptr<store> open_store(const store_spec& spec, const open_options& options,
                                  const clock& clock) {
    switch (spec.backend) {
        case store_spec::kind::memory:
            return std::make_unique<memory_store>(
                clock, memory_options{options.max_log_entries, options.max_sessions,
                                      options.max_log_bytes});
        case store_spec::kind::sqlite: {
            sqlite_options sqlite{spec.location, options.fsync};
            sqlite.max_log_entries = options.max_log_entries;
            sqlite.max_log_bytes = options.max_log_bytes;
            sqlite.max_sessions = options.max_sessions;
            return std::make_unique<sqlite_store>(std::move(sqlite), clock);
        }
        case store_spec::kind::redis:
            return make_redis_store(spec.location, options, clock);
        case store_spec::kind::kv_rest:
            return make_kv_rest_store(spec, options, clock);
    }
    throw std::logic_error("unhandled store kind");
}

}  // namespace progressd::store
