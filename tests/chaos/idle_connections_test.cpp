// Connections that hold resources without doing anything: twenty thousand keep-alive
// connections left idle after one request each (as many as the file limit allows), and clients
// that send their headers too slowly. Each must be closed by the server at its timeout, and the
// memory the connections took must go back once they are closed: RSS returns to its baseline.
#include "chaos/chaos_support.hpp"
#include "http/limits.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace progressd::testing {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr int wanted_connections = 20000;
// The server keeps http::descriptors_reserved descriptors back from its connections (it would
// refuse the rest with a 503), and the test process needs a few besides its sockets; both
// processes share the same hard limit.
constexpr int fd_margin = static_cast<int>(http::descriptors_reserved) + 64;
// How far above its baseline RSS may stay once every connection is closed: what the connections
// took is about 160 MiB, what they leave (timer and connection tables sized for the peak,
// allocator caches) about 4 MiB.
constexpr long rss_left_max_kib = 8 * 1024;
constexpr auto idle_timeout = 15000ms;
constexpr auto header_timeout = 1500ms;
constexpr auto close_slack = 2000ms;  // how late after its timeout a close may come
constexpr int batch = 500;
// Server memory per idle keep-alive connection, at most (measured: about 8.8 KiB).
constexpr long max_bytes_per_connection = 16 * 1024;
constexpr std::string_view health_request = "GET /healthz HTTP/1.1\r\nHost: chaos\r\n\r\n";
constexpr std::string_view health_body = R"({"status":"ok"})";

struct client_socket {
    int fd = -1;
    std::string received;
    steady::time_point sent{};      ///< the request went out: the server's idle wait is later
    steady::time_point answered{};  ///< we read the answer: the server's idle wait began before
    steady::time_point closed{};
};

int connect_to(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads what has arrived on `sockets[from, to)` until `done(socket)` holds for each or `limit`
// passes. A read of 0 bytes (the server closed) sets `closed`.
template <class Done>
void pump(std::vector<client_socket>& sockets, std::size_t from, std::size_t to, Done done,
          steady::time_point limit) {
    std::vector<pollfd> fds;
    std::vector<std::size_t> index;
    char buffer[4096];
    for (;;) {
        fds.clear();
        index.clear();
        for (std::size_t i = from; i < to; ++i) {
            if (done(sockets[i]) || sockets[i].closed != steady::time_point{}) continue;
            fds.push_back({sockets[i].fd, POLLIN, 0});
            index.push_back(i);
        }
        if (fds.empty() || steady::now() > limit) return;
        if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
        const auto now = steady::now();
        for (std::size_t k = 0; k < fds.size(); ++k) {
            if (fds[k].revents == 0) continue;
            auto& s = sockets[index[k]];
            const ssize_t n = ::recv(s.fd, buffer, sizeof buffer, 0);
            if (n <= 0) {
                s.closed = now;
                continue;
            }
            s.received.append(buffer, static_cast<std::size_t>(n));
            if (s.answered == steady::time_point{} &&
                s.received.find(health_body) != std::string::npos) {
                s.answered = now;
            }
        }
    }
}

// Opens `n` connections in batches and has each make one request and read its answer; they are
// then idle keep-alive connections. Stops early at the first connection that cannot be opened.
std::vector<client_socket> open_idle_connections(unsigned short port, int n) {
    std::vector<client_socket> sockets;
    sockets.reserve(static_cast<std::size_t>(n));
    while (static_cast<int>(sockets.size()) < n) {
        const std::size_t from = sockets.size();
        const int count = std::min(batch, n - static_cast<int>(from));
        for (int i = 0; i < count; ++i) {
            const int fd = connect_to(port);
            if (fd < 0) {
                ADD_FAILURE() << "connection " << sockets.size() << ": " << std::strerror(errno);
                return sockets;
            }
            ::send(fd, health_request.data(), health_request.size(), MSG_NOSIGNAL);
            sockets.push_back({fd, {}, steady::now(), {}, {}});
        }
        pump(
            sockets, from, sockets.size(),
            [](const client_socket& s) { return s.answered != steady::time_point{}; },
            steady::now() + 10s);
    }
    return sockets;
}

// When each connection was closed, in ms after it became idle. The server starts its idle wait
// after our request went out and before we read its answer, so the earliest close is measured
// from the request and the latest from the answer.
struct close_delays {
    latency_samples after_request;
    latency_samples after_answer;
    int never_closed = 0;
};

close_delays measure_closes(const std::vector<client_socket>& sockets) {
    close_delays d;
    for (const auto& s : sockets) {
        if (s.closed == steady::time_point{}) {
            ++d.never_closed;
            continue;
        }
        d.after_request.ms.push_back(
            std::chrono::duration<double, std::milli>(s.closed - s.sent).count());
        d.after_answer.ms.push_back(
            std::chrono::duration<double, std::milli>(s.closed - s.answered).count());
    }
    return d;
}

// The closes came at `timeout`: none before it (less the time this busy test process may be
// descheduled between a send and its timestamp), none later than close_slack after it.
void expect_closed_at(const close_delays& d, std::chrono::milliseconds timeout) {
    EXPECT_EQ(d.never_closed, 0);
    EXPECT_GE(d.after_request.percentile(0), static_cast<double>(timeout.count()) - 50);
    EXPECT_LE(d.after_answer.max(), static_cast<double>((timeout + close_slack).count()));
}

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

std::string fixed(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", v);
    return b;
}

// Warms the allocator up with a few hundred requests, so that the baseline is a serving process.
void warm_up(const server_process& server) {
    cli::http_client client(server.base_url());
    for (int i = 0; i < 300; ++i) client.request(boost::beast::http::verb::get, "/healthz");
}

// One wave: opens `n` idle keep-alive connections, reads the server's RSS and descriptors with
// all of them open, waits for the server to close them, and checks each close came at the idle
// timeout.
struct wave_result {
    long loaded_kib;
    long after_kib;
    int loaded_fds;
    int after_fds;
    double open_seconds;
    close_delays closes;
};

wave_result idle_wave(server_process& server, int n) {
    wave_result w{};
    const auto opening = steady::now();
    auto sockets = open_idle_connections(server.port(), n);
    w.open_seconds = std::chrono::duration<double>(steady::now() - opening).count();
    EXPECT_EQ(static_cast<int>(sockets.size()), n);
    EXPECT_LT(steady::now() - opening, idle_timeout - 3s)
        << "opening the connections took too long to see them all open at once";
    w.loaded_kib = server.rss_kib();
    w.loaded_fds = open_fds(server.pid());
    for (const auto& s : sockets) EXPECT_NE(s.answered, steady::time_point{}) << "no answer";

    pump(
        sockets, 0, sockets.size(), [](const client_socket&) { return false; },
        steady::now() + idle_timeout + close_slack);
    w.closes = measure_closes(sockets);
    expect_closed_at(w.closes, idle_timeout);
    for (auto& s : sockets) ::close(s.fd);
    // The server trims at most once a second: the trim for the last close may come that late.
    std::this_thread::sleep_for(1500ms);
    w.after_kib = server.rss_kib();
    w.after_fds = open_fds(server.pid());
    return w;
}

TEST(idle_connections_test, twenty_thousand_idle_keep_alive_connections_close_at_the_idle_timeout) {
    const long limit = raise_fd_limit();
    const int n = static_cast<int>(std::min<long>(wanted_connections, limit - fd_margin));
    server_process server({"--store", "memory:", "--idle-timeout",
                           std::to_string(idle_timeout.count()), "--max-connections", "25000"});
    warm_up(server);
    std::this_thread::sleep_for(200ms);
    const long baseline_kib = server.rss_kib();
    const int baseline_fds = open_fds(server.pid());

    const auto first = idle_wave(server, n);
    EXPECT_GE(first.loaded_fds, baseline_fds + n);
    EXPECT_LE((first.loaded_kib - baseline_kib) * 1024 / n, max_bytes_per_connection);
    EXPECT_LE(first.after_fds, baseline_fds + 2);
    // Once they are closed, the server hands the memory back (malloc_trim when the last one goes).
    EXPECT_LE(first.after_kib - baseline_kib, rss_left_max_kib)
        << "RSS after the closes " << first.after_kib << " KiB, baseline " << baseline_kib;
    // A second wave must fit in the memory the first one left behind: bounded, not leaking.
    const auto second = idle_wave(server, n);
    EXPECT_LE(second.loaded_kib, first.loaded_kib + first.loaded_kib / 10);
    EXPECT_LE(second.after_kib - baseline_kib, rss_left_max_kib);
    EXPECT_LE(second.after_fds, baseline_fds + 2);

    const auto per_connection = [&](long kib) {
        return fixed(static_cast<double>(kib - baseline_kib) * 1024 / n);
    };
    for (const auto* w : {&first, &second}) {
        report_figure(std::to_string(n) + " idle keep-alive connections (file limit " +
                      std::to_string(limit) + ", --idle-timeout " +
                      std::to_string(idle_timeout.count()) + ", opened in " +
                      fixed(w->open_seconds) + " s): RSS " + fixed(mib(baseline_kib)) + " MiB → " +
                      fixed(mib(w->loaded_kib)) + " MiB (" + per_connection(w->loaded_kib) +
                      " B per connection) → " + fixed(mib(w->after_kib)) +
                      " MiB after the closes; fds " + std::to_string(baseline_fds) + " → " +
                      std::to_string(w->loaded_fds) + " → " + std::to_string(w->after_fds) +
                      "; closed " + fixed(w->closes.after_request.percentile(0)) +
                      " ms after the request at the "
                      "earliest, " +
                      fixed(w->closes.after_answer.max()) + " ms after the answer at the latest");
    }
}

TEST(idle_connections_test, memory_goes_back_when_most_connections_close_and_some_stay) {
    // Event streams can keep the count of connections from ever reaching zero: the memory of
    // the ones that closed must go back all the same.
    // Each gtest case runs in a process of its own: raise the soft limit here too.
    const int total = static_cast<int>(std::min<long>(8000, raise_fd_limit() - fd_margin));
    const int staying = total / 8;
    server_process server({"--store", "memory:", "--max-connections", "10000"});
    warm_up(server);
    std::this_thread::sleep_for(200ms);
    const long baseline_kib = server.rss_kib();
    auto sockets = open_idle_connections(server.port(), total);
    ASSERT_EQ(static_cast<int>(sockets.size()), total);
    const long loaded_kib = server.rss_kib();
    for (std::size_t i = staying; i < sockets.size(); ++i) ::close(sockets[i].fd);
    std::this_thread::sleep_for(1500ms);  // a trim comes at most a second after the last one
    const long after_kib = server.rss_kib();
    for (int i = 0; i < staying; ++i) ::close(sockets[static_cast<std::size_t>(i)].fd);

    // The staying connections keep their share of what all of them took; the rest goes back.
    const long kept_for_staying = (loaded_kib - baseline_kib) * staying / total;
    EXPECT_LE(after_kib - baseline_kib, kept_for_staying + rss_left_max_kib)
        << "baseline " << baseline_kib << " KiB, " << total << " open " << loaded_kib << " KiB, "
        << staying << " left open " << after_kib << " KiB";
    report_figure(std::to_string(total) + " connections then " + std::to_string(staying) +
                  " left open: RSS " + fixed(mib(baseline_kib)) + " MiB → " +
                  fixed(mib(loaded_kib)) + " MiB → " + fixed(mib(after_kib)) + " MiB");
}

TEST(idle_connections_test, headers_sent_a_byte_at_a_time_are_cut_at_the_header_timeout) {
    constexpr int slow_clients = 200;
    server_process server(
        {"--store", "memory:", "--header-timeout", std::to_string(header_timeout.count())});
    std::vector<client_socket> sockets;
    for (int i = 0; i < slow_clients; ++i) {
        const int fd = connect_to(server.port());
        ASSERT_GE(fd, 0);
        sockets.push_back({fd, {}, {}, {}, {}});
    }
    const std::string header = "GET /healthz HTTP/1.1\r\nHost: chaos\r\nX-Slow: ";
    const auto first_byte = steady::now();
    for (auto& s : sockets) {
        s.sent = first_byte;  // the header timeout runs from here
        s.answered = first_byte;
    }
    for (std::size_t at = 0; steady::now() < first_byte + header_timeout + close_slack; ++at) {
        const char c = at < header.size() ? header[at] : 'x';
        for (auto& s : sockets) {
            if (s.closed == steady::time_point{}) ::send(s.fd, &c, 1, MSG_NOSIGNAL);
        }
        pump(
            sockets, 0, sockets.size(), [](const client_socket&) { return false; },
            steady::now() + 100ms);
    }
    const auto closes = measure_closes(sockets);
    for (auto& s : sockets) {
        ::close(s.fd);
        EXPECT_EQ(s.received.find("HTTP/1.1 200"), std::string::npos)
            << "a slow request was served";
    }
    expect_closed_at(closes, header_timeout);
    EXPECT_EQ(cli::http_client(server.base_url())
                  .request(boost::beast::http::verb::get, "/healthz")
                  .status,
              200u);
    report_figure(std::to_string(slow_clients) + " clients sending a header byte every 100 ms (" +
                  "--header-timeout " + std::to_string(header_timeout.count()) + "): closed " +
                  fixed(closes.after_request.percentile(0)) + "–" +
                  fixed(closes.after_request.max()) + " ms after their first byte, never closed " +
                  std::to_string(closes.never_closed));
}

}  // namespace
}  // namespace progressd::testing
