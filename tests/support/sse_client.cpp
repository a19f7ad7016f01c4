#include "support/sse_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace progressd::testing {

sse_client::sse_client(unsigned short port, const std::string& target,
                       const std::string& last_event_id, int receive_buffer_bytes) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer_bytes > 0) {  // a small window makes a client that never reads stall fast
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        throw std::runtime_error("cannot connect to the test server");
    }
    std::string request =
        "GET " + target + " HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n";
    if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
    request += "\r\n";
    send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
}

sse_client::~sse_client() {
    if (fd_ >= 0) close(fd_);
}

bool sse_client::fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[8192];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
        closed_ = true;
        return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
}

void sse_client::read_head() {
    if (head_read_) return;
    head_read_ = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::size_t end = 0;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        if (!fill(deadline)) return;
    }
    headers_ = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    if (headers_.size() > 12) status_ = std::stoi(headers_.substr(9, 3));
}

int sse_client::status() {
    read_head();
    return status_;
}

const std::string& sse_client::headers() {
    read_head();
    return headers_;
}

std::optional<sse_event> sse_client::next(std::chrono::milliseconds timeout) {
    read_head();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        // One block ends with an empty line; a comment is a block of its own here.
        const auto end = buffer_.find("\n\n");
        if (end != std::string::npos) {
            const std::string block = buffer_.substr(0, end);
            buffer_.erase(0, end + 2);
            sse_event event;
            std::size_t at = 0;
            bool only_retry = true;
            while (at <= block.size()) {
                const auto line_end = std::min(block.find('\n', at), block.size());
                const std::string line = block.substr(at, line_end - at);
                at = line_end + 1;
                if (line.starts_with(":")) {
                    event.data = line.substr(1);
                    only_retry = false;
                } else if (line.starts_with("event: ")) {
                    event.name = line.substr(7);
                    only_retry = false;
                } else if (line.starts_with("id: ")) {
                    event.id = line.substr(4);
                } else if (line.starts_with("data: ")) {
                    event.data = line.substr(6);
                    only_retry = false;
                }
            }
            if (only_retry) continue;
            return event;
        }
        if (!fill(deadline)) return std::nullopt;
    }
}

}  // namespace progressd::testing
