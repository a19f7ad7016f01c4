#include "store/redis_connection.hpp"

#include <boost/url/parse.hpp>

#include <poll.h>
#include <pthread.h>
#include <sys/time.h>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <new>
#include <optional>
#include <stdexcept>

namespace progressd::store::redis_client {
namespace {

namespace urls = boost::urls;

[[noreturn]] void throw_bad_url(const std::string& problem) {
    throw std::runtime_error("invalid redis URL (" + problem +
                             "): use redis://[user:password@]host:port[/db]");
}

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>(ms.count() % 1000 * 1000);
    return tv;
}

}  // namespace

//------------------------------------------------------------------------------
// The URL

endpoint parse_url(std::string_view text) {
    const auto parsed = urls::parse_uri(text);
    if (!parsed) throw_bad_url(parsed.error().message());
    const urls::url_view& url = *parsed;
    if (url.scheme() == "rediss") {
        throw std::runtime_error(
            "rediss:// needs TLS, which Debian 12's hiredis 0.14 lacks: use a TLS tunnel to "
            "Redis, or the kv-rest store");
    }
    if (url.scheme() != "redis") throw_bad_url("the scheme is not redis");
    if (url.has_query() || url.has_fragment()) throw_bad_url("options after ? or # are unknown");

    endpoint e;
    if (url.host_type() == urls::host_type::ipvfuture) throw_bad_url("unknown address form");
    e.host = url.host_address();
    if (e.host.empty()) throw_bad_url("no host");
    if (url.has_port()) {
        // Not port_number(), which takes numbers above 65535 modulo 65536.
        const auto port = whole_number<std::uint16_t>(url.port());
        if (!port || *port == 0) throw_bad_url("the port is not from 1 to 65535");
        e.port = *port;
    }
    const bool ipv6 = url.host_type() == urls::host_type::ipv6;
    e.authority = (ipv6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);

    if (url.has_userinfo()) {
        e.user = url.user();
        e.password = url.password();
        if (e.password.empty()) throw_bad_url("a user needs a password");
        // The `default` user is also what AUTH with a password alone means, which Redis before
        // 6 (and the original app's URLs, `default:token@…`) understand.
        if (e.user == "default") e.user.clear();
    }

    const std::string_view path = url.encoded_path();
    if (path.size() > 1) {
        const auto db = whole_number<unsigned>(path.substr(1));
        if (!db) throw_bad_url("the path is not a database number such as /2");
        e.db = *db;
    }
    return e;
}

//------------------------------------------------------------------------------
// hiredis: connections, commands, replies

// Buffers `cmd` on `c`; nothing is sent before the next read_reply.
void append(const connection& c, const command& cmd) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : cmd) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(c.get(), static_cast<int>(cmd.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
        throw std::bad_alloc();  // hiredis fails here only when out of memory
    }
}

// Sends what is buffered and reads the next reply. A Redis error reply is a reply; a failure
// (timeout, connection lost) leaves `c` unusable.
boost::system::result<reply_ptr, failure> read_reply(const connection& c,
                                                     std::chrono::milliseconds timeout) {
    void* raw = nullptr;
    if (redisGetReply(c.get(), &raw) == REDIS_OK) return reply_ptr(static_cast<redisReply*>(raw));
    const int error_number = errno;
    // SO_RCVTIMEO / SO_SNDTIMEO (redisSetTimeout) expired: hiredis reports EAGAIN as an I/O error.
    if (c->err == REDIS_ERR_IO && (error_number == EAGAIN || error_number == EWOULDBLOCK)) {
        return failure{store_errc::timeout,
                       "no answer within " + std::to_string(timeout.count()) + " ms"};
    }
    return failure{store_errc::unavailable, c->errstr};
}

// Connects, applies the command timeout and sends AUTH and SELECT in one round trip.
boost::system::result<connection, failure> connect(const endpoint& e, const open_options& o) {
    connection c(redisConnectWithTimeout(e.host.c_str(), e.port, to_timeval(o.connect_timeout)));
    if (!c) throw std::bad_alloc();
    if (c->err != 0) return failure{store_errc::unavailable, c->errstr};
    if (redisSetTimeout(c.get(), to_timeval(o.command_timeout)) != REDIS_OK) {
        return failure{store_errc::unavailable, c->errstr};
    }
    redisEnableKeepAlive(c.get());  // notices a peer that vanished without closing

    std::vector<command> setup;
    if (!e.password.empty()) {
        setup.push_back(e.user.empty() ? command{"AUTH", e.password}
                                       : command{"AUTH", e.user, e.password});
    }
    if (e.db != 0) setup.push_back({"SELECT", std::to_string(e.db)});
    for (const auto& cmd : setup) append(c, cmd);
    for (const auto& cmd : setup) {
        auto reply = read_reply(c, o.command_timeout);
        if (!reply) return reply.error();
        if ((*reply)->type == REDIS_REPLY_ERROR) {
            return failure{store_errc::unavailable,
                           cmd[0] + " refused: " + std::string((*reply)->str, (*reply)->len), true};
        }
    }
    return c;
}

// True when the server has closed `c` (or sent something unasked, which Redis never does on a
// healthy connection). Checked before each reuse, so that a connection left from before a Redis
// restart is replaced before a request is sent on it.
bool closed_by_peer(const connection& c) {
    if (c->err != 0) return true;
    pollfd p{c->fd, POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;
}

// hiredis writes with write(2): writing to a connection Redis has closed raises SIGPIPE, which
// would end the process. Blocked in the calling thread, the write fails with EPIPE instead.
void block_sigpipe() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace progressd::store::redis_client
