#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace progressd::testing {

std::string raw_exchange(unsigned short port, std::string_view bytes,
                         std::chrono::milliseconds quiet) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        throw std::runtime_error("cannot connect to the test server");
    }
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may close early (e.g. after a 413); read what it said
        sent += static_cast<std::size_t>(n);
    }
    std::string received;
    char buffer[8192];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
        const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        received.append(buffer, static_cast<std::size_t>(n));
    }
    close(fd);
    return received;
}

std::vector<int> response_statuses(std::string_view stream) {
    std::vector<int> statuses;
    std::size_t at = 0;
    while ((at = stream.find("HTTP/1.", at)) != std::string_view::npos) {
        if (at + 12 <= stream.size())
            statuses.push_back(std::stoi(std::string(stream.substr(at + 9, 3))));
        at += 8;
    }
    return statuses;
}

}  // namespace progressd::testing
