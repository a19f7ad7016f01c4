// A blocking hiredis connection to the Redis a `redis://` URL names: parsing the URL, connecting
// with AUTH and SELECT, pipelined commands and replies. Used by the Redis store's workers and by
// the live bridge's subscriber; each connection belongs to one thread.
#pragma once

#include "store/store_spec.hpp"
#include "util/errors.hpp"

#include <hiredis/hiredis.h>

#include <boost/system/result.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store::redis_client {

struct endpoint {
    std::string host;  ///< a name or an address, IPv6 without brackets
    std::uint16_t port = 6379;
    std::string user;      ///< empty: AUTH with the password alone (the `default` user)
    std::string password;  ///< empty: no AUTH
    unsigned db = 0;
    std::string authority;  ///< host:port, for messages; never the credentials
};

/// `text` as a whole decimal number, or nullopt.
template <class Number>
std::optional<Number> whole_number(std::string_view text) {
    Number n{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return n;
}

/// Parses `redis://[user:password@]host:port[/db]`; throws std::runtime_error with a one-line
/// reason, which never quotes the URL because it may hold a password.
endpoint parse_url(std::string_view text);

struct context_free {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using connection = std::unique_ptr<redisContext, context_free>;

struct reply_free {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_free>;

/// A command as its arguments, binary-safe: {"GET", "progress:s1"}.
using command = std::vector<std::string>;

/// Why a connection cannot serve: the error for the callers, and the words for the log.
struct failure {
    store_errc code = store_errc::unavailable;
    std::string message;
    bool refused = false;  ///< Redis answered, and rejected AUTH or SELECT: a configuration error
};

/// Buffers `cmd` on `c`; nothing is sent before the next read_reply.
void append(const connection& c, const command& cmd);

/// Sends what is buffered and reads the next reply. A Redis error reply is a reply; a failure
/// (timeout, connection lost) leaves `c` unusable.
boost::system::result<reply_ptr, failure> read_reply(const connection& c,
                                                     std::chrono::milliseconds timeout);

/// Connects, applies the command timeout and sends AUTH and SELECT in one round trip.
boost::system::result<connection, failure> connect(const endpoint& e, const open_options& o);

/// True when the server has closed `c` (or sent something unasked, which Redis never does on a
/// healthy connection).
bool closed_by_peer(const connection& c);

/// hiredis writes with write(2): writing to a connection Redis has closed raises SIGPIPE, which
/// would end the process. Blocked in the calling thread, the write fails with EPIPE instead.
void block_sigpipe();

}  // namespace progressd::store::redis_client
