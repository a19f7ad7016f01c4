// Raw bytes over a real TCP socket, for requests no well-behaved client would send (smuggling
// shapes, pipelining, truncated bodies) and for reading exactly what the server answered.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::testing {

/// Connects to 127.0.0.1:`port`, writes `bytes`, then reads until the server closes the
/// connection or nothing arrives for `quiet`. Returns everything read.
std::string raw_exchange(unsigned short port, std::string_view bytes,
                         std::chrono::milliseconds quiet = std::chrono::milliseconds(500));

/// The status codes of the HTTP responses in `stream`, in order ("HTTP/1.1 200 OK" → 200).
std::vector<int> response_statuses(std::string_view stream);

}  // namespace progressd::testing
