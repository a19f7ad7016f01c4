#include "store/redis_layout.hpp"

#include <boost/uuid/detail/sha1.hpp>

#include <array>
#include <cstdio>

namespace progressd::store::redis_layout {

std::string progress_key(std::string_view session_id) {
    return "progress:" + std::string(session_id);
}

std::string log_key(std::string_view session_id) {
    return "progress:" + std::string(session_id) + ":log";
}

std::string version_key(std::string_view session_id) {
    return "progress:" + std::string(session_id) + ":version";
}

const std::string_view put_script = R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
local version = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', 'progressd:events', 'progress\n' .. ARGV[3] .. '\n' .. version .. '\n' .. ARGV[1])
return version
)lua";

// cjson only counts the entries: re-encoding them would change number spelling and key order.
const std::string_view append_log_script = R"lua(
local current = redis.call('GET', KEYS[1])
local updated, count
if not current then
  updated, count = '[' .. ARGV[1] .. ']', 1
else
  local ok, entries = pcall(cjson.decode, current)
  if not ok or type(entries) ~= 'table' or string.sub(current, 1, 1) ~= '[' then
    return redis.error_reply('progress log is not a JSON array')
  end
  count = #entries + 1
  if count == 1 then
    updated = '[' .. ARGV[1] .. ']'
  else
    updated = string.sub(current, 1, -2) .. ',' .. ARGV[1] .. ']'
  end
end
redis.call('SET', KEYS[1], updated, 'EX', ARGV[2])
redis.call('PUBLISH', 'progressd:events', 'log\n' .. ARGV[3] .. '\n' .. count .. '\n' .. ARGV[1])
return count
)lua";

std::string script_sha1(std::string_view script) {
    boost::uuids::detail::sha1 hash;
    hash.process_bytes(script.data(), script.size());
    boost::uuids::detail::sha1::digest_type digest;
    hash.get_digest(digest);
    std::string hex;
    char part[9];
    for (const auto word : digest) {
        std::snprintf(part, sizeof part, "%08x", word);
        hex += part;
    }
    return hex;
}

}  // namespace progressd::store::redis_layout
