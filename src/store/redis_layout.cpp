#include "store/redis_layout.hpp"

#include <boost/uuid/detail/sha1.hpp>

#include <algorithm>
#include <array>
#include <cstdio>

namespace progressd::store::redis_layout {

namespace {
constexpr std::string_view key_prefix = "progress:";

std::string session_key(std::string_view session_id, std::string_view suffix) {
    std::string key;
    key.reserve(key_prefix.size() + session_id.size() + suffix.size());
    return key.append(key_prefix).append(session_id).append(suffix);
}
}  // namespace

std::string progress_key(std::string_view session_id) {
    return session_key(session_id, session_key_suffixes[0]);
}

std::string log_key(std::string_view session_id) {
    return session_key(session_id, model::session_key_suffix::log);
}

std::string log_meta_key(std::string_view session_id) {
    return session_key(session_id, model::session_key_suffix::log_meta);
}

std::string version_key(std::string_view session_id) {
    return session_key(session_id, model::session_key_suffix::version);
}

std::string write_key_key(std::string_view session_id) {
    return session_key(session_id, model::session_key_suffix::write_key);
}

std::optional<std::string_view> session_of_progress_key(std::string_view key) {
    if (!key.starts_with(key_prefix) || key.size() == key_prefix.size()) return std::nullopt;
    // All reserved suffixes, not only today's keys: a later part of a session is never listed.
    for (const auto suffix : model::reserved_session_id_suffixes) {
        if (key.ends_with(suffix)) return std::nullopt;
    }
    return key.substr(key_prefix.size());
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
if ARGV[4] and count >= tonumber(ARGV[4]) then return -1 end
local grown = length + #ARGV[1] + 1
if count == 0 then grown = #ARGV[1] + 2 end
if ARGV[5] and grown > tonumber(ARGV[5]) then return -2 end
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

const std::string_view remove_script = R"lua(
local existed = redis.call('EXISTS', KEYS[1], KEYS[2]) > 0
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
if not existed then return 0 end
redis.call('PUBLISH', 'progressd:events', 'deleted\n' .. ARGV[1] .. '\n0\n')
return 1
)lua";

const std::string_view claim_write_key_script = R"lua(
local current = redis.call('GET', KEYS[1])
if current then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return current
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]
)lua";

// pcall: a key of another type under progress:* (someone else's) reads as absent, not as an
// error that would fail the whole page. Lua's false becomes a nil reply.
const std::string_view list_fetch_script = R"lua(
local out = {}
for i = 1, #KEYS, 2 do
  local json = redis.pcall('GET', KEYS[i])
  local version = false
  local ttl = -2
  if type(json) == 'string' then
    version = redis.pcall('GET', KEYS[i + 1])
    if type(version) ~= 'string' then version = false end
    ttl = redis.call('PTTL', KEYS[i])
  else
    json = false
  end
  out[#out + 1] = json
  out[#out + 1] = version
  out[#out + 1] = ttl
end
return out
)lua";

//------------------------------------------------------------------------------
// list_walk

namespace {
// SCAN calls per page at most: a keyspace mostly of other keys gives short pages, not slow ones.
constexpr std::size_t max_scan_calls = 8;
}  // namespace

list_walk::list_walk(std::string_view cursor, std::size_t limit) : limit_(limit) {
    if (cursor.empty()) return;
    const auto newline = cursor.find('\n');
    const auto scan = cursor.substr(0, newline);
    const bool numeric = !scan.empty() && scan.find_first_not_of("0123456789") == scan.npos;
    if (!numeric || limit_ == 0) {
        done_ = true;
        return;
    }
    scan_cursor_ = std::string(scan);
    if (newline != std::string_view::npos) after_ = std::string(cursor.substr(newline + 1));
}

// Each session has up to five keys under progress:*, and COUNT is roughly keys examined.
std::size_t list_walk::scan_count() const { return std::max<std::size_t>(limit_ * 4, 10); }

void list_walk::take(const std::vector<std::string_view>& keys, std::string next_scan_cursor) {
    std::vector<std::string_view> found;
    for (const auto key : keys) {
        const auto id = session_of_progress_key(key);
        if (id && (!after_ || *id > *after_)) found.push_back(*id);
    }
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    after_.reset();
    const std::size_t room = limit_ - ids_.size();
    if (found.size() > room) {
        ids_.insert(ids_.end(), found.begin(), found.begin() + static_cast<std::ptrdiff_t>(room));
        next_cursor_ = scan_cursor_ + '\n' + ids_.back();
        done_ = true;
        return;
    }
    ids_.insert(ids_.end(), found.begin(), found.end());
    scan_cursor_ = std::move(next_scan_cursor);
    if (scan_cursor_ == "0") {
        done_ = true;  // next_cursor_ stays empty: the walk is over
    } else if (ids_.size() == limit_ || ++calls_ == max_scan_calls) {
        next_cursor_ = scan_cursor_;
        done_ = true;
    }
}

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
