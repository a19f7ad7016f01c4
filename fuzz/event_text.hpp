// Reading back what an event stream sent: each text handed to an event_sink must be exactly one
// well-formed Server-Sent Events block, as the EventSource parser in a browser reads it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace progressd::fuzz {

struct event_block {
    std::string event;  ///< "" for a block without an event line
    std::optional<std::string> id;
    std::optional<std::string> data;
    std::optional<std::string> retry;
    bool comment = false;  ///< a ":" line (the heartbeat)
};

/// The block `text` holds, or nullopt when it is not exactly one block: lines of "name: value"
/// (event, id, data, retry, each at most once) or ":comment", no CR anywhere, ended by a blank
/// line, nothing after it.
inline std::optional<event_block> parse_event_block(std::string_view text) {
    if (text.size() < 2 || !text.ends_with("\n\n")) return std::nullopt;
    if (text.find('\r') != std::string_view::npos) return std::nullopt;
    text.remove_suffix(1);  // the blank line; each line below ends with its own '\n'
    event_block block;
    bool has_event = false;
    while (!text.empty()) {
        const auto end = text.find('\n');
        if (end == std::string_view::npos || end == 0) return std::nullopt;
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(end + 1);
        if (line.front() == ':') {
            block.comment = true;
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        const std::string_view name = line.substr(0, colon);
        std::string_view value = line.substr(colon + 1);
        if (value.starts_with(' ')) value.remove_prefix(1);
        if (name == "event" && !has_event) {
            has_event = true;
            block.event = value;
        } else if (name == "id" && !block.id) {
            block.id = std::string(value);
        } else if (name == "data" && !block.data) {
            block.data = std::string(value);
        } else if (name == "retry" && !block.retry) {
            block.retry = std::string(value);
        } else {
            return std::nullopt;
        }
    }
    return block;
}

}  // namespace progressd::fuzz
