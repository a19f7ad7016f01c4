// Every limit and timeout the HTTP layer enforces, in one place; main() fills them from options.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace progressd::http {

struct limits {
    std::size_t max_body_bytes = std::size_t{64} * 1024;
    std::size_t max_header_bytes = std::size_t{16} * 1024;  ///< request line and headers together
    /// From the first byte of a request until its headers are complete (slow-header clients).
    std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
    /// Reading the body once the headers are in.
    std::chrono::milliseconds body_timeout{std::chrono::seconds(30)};
    /// A keep-alive connection with no request in progress is closed after this long.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
    /// In-flight requests may finish for this long after SIGTERM before the process exits.
    std::chrono::milliseconds shutdown_grace{std::chrono::milliseconds(4500)};
    /// Open connections at most; one more is answered 503 and closed at once.
    std::size_t max_connections = 25000;
};

/// Descriptors kept back from connections for everything else the process opens: the listener,
/// epoll, signals, the store's files or sockets, log files, a certificate being reloaded.
inline constexpr std::uint64_t descriptors_reserved = 128;

/// How many connections the process can really hold: each needs a descriptor, and an accept()
/// past the open-file limit fails with EMFILE, which leaves the client waiting unanswered where
/// a refusal would get a 503 at once.
constexpr std::size_t connections_within(std::size_t requested, std::uint64_t open_file_limit) {
    const std::uint64_t available =
        open_file_limit > descriptors_reserved ? open_file_limit - descriptors_reserved : 1;
    return static_cast<std::size_t>(std::min<std::uint64_t>(requested, available));
}

}  // namespace progressd::http
