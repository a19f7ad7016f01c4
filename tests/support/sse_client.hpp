// A minimal Server-Sent Events client over a raw socket, for end-to-end tests: it sees exactly
// what the server sent, comments (heartbeats) included.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace progressd::testing {

struct sse_event {
    std::string name;  ///< "" for a comment line (its text is in `data`), else the event type
    std::string id;
    std::string data;
};

class sse_client {
public:
    /// Connects to 127.0.0.1:`port` and sends GET `target` (with Last-Event-ID when given).
    sse_client(unsigned short port, const std::string& target,
               const std::string& last_event_id = "", int receive_buffer_bytes = 0);
    ~sse_client();
    sse_client(const sse_client&) = delete;
    sse_client& operator=(const sse_client&) = delete;

    /// The response status and headers, read on the first call to next() or status().
    int status();
    const std::string& headers();

    /// The next event or comment, or nullopt when none arrives within `timeout` or the server
    /// closed the stream (then closed() is true). A "retry:" field is skipped.
    std::optional<sse_event> next(std::chrono::milliseconds timeout = std::chrono::seconds(3));
    bool closed() const { return closed_; }

private:
    bool fill(std::chrono::steady_clock::time_point deadline);
    void read_head();

    int fd_ = -1;
    std::string buffer_;
    std::string headers_;
    int status_ = 0;
    bool head_read_ = false;
    bool closed_ = false;
};

}  // namespace progressd::testing
