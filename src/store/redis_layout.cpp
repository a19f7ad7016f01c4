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

std::string log_meta_key(std::string_view session_id) {
    return "progress:" + std::string(session_id) + ":log:meta";
}

std::string version_key(std::string_view session_id) {
    return "progress:" + std::string(session_id) + ":version";
}

const std::string_view put_script = R"lua(
if ARGV[4] then
  local exists = redis.call('EXISTS', KEYS[1]) == 1
  if ARGV[4] == '' then
    if exists then return -1 end
  elseif not exists or tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[4]) then
    return -1
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
local version = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', 'progressd:events', 'progress\n' .. ARGV[3] .. '\n' .. version .. '\n' .. ARGV[1])
return version
)lua";

// Appending edits the array text in place (SETRANGE over the closing bracket), so an append costs
// the same at the first entry and the thousandth. The entry count and byte length progressd
// last left are kept beside the log; when the length differs, another program (the original
// app rewrites the whole array) changed it, and the entries are counted once with cjson, which
// only counts: re-encoding them would change number spelling and key order.
const std::string_view append_log_script = R"lua(
local length = redis.call('STRLEN', KEYS[1])
local count = 0
if length > 0 then
  local meta = redis.call('GET', KEYS[2])
  local known_count, known_length
  if meta then known_count, known_length = string.match(meta, '^(%d+) (%d+)$') end
  if known_count and tonumber(known_length) == length then
    count = tonumber(known_count)
  else
    local current = redis.call('GET', KEYS[1])
    local ok, entries = pcall(cjson.decode, current)
    if not ok or type(entries) ~= 'table' or string.sub(current, 1, 1) ~= '['
        or string.sub(current, -1) ~= ']' then
      return redis.error_reply('progress log is not a JSON array')
    end
    count = #entries
  end
end
if count == 0 then
  redis.call('SET', KEYS[1], '[' .. ARGV[1] .. ']', 'EX', ARGV[2])
else
  redis.call('SETRANGE', KEYS[1], length - 1, ',' .. ARGV[1] .. ']')
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
count = count + 1
redis.call('SET', KEYS[2], count .. ' ' .. redis.call('STRLEN', KEYS[1]), 'EX', ARGV[2])
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
