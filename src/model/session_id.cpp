#include "model/session_id.hpp"

#include "model/text_encoding.hpp"

namespace progressd::model {

std::optional<std::string> session_id_problem(std::string_view id) {
    if (id.empty()) return "session ID must not be empty";
    if (!is_valid_utf8(id)) return "session ID must be valid UTF-8";

    std::size_t characters = 0;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const auto byte = static_cast<unsigned char>(id[i]);
        if ((byte & 0xC0) != 0x80) ++characters;  // count lead bytes, not continuation bytes
        if (byte < 0x20 || byte == 0x7F) return "session ID must not contain control characters";
        // U+0080–U+009F (C1 controls) are encoded as C2 80 – C2 9F.
        if (byte == 0xC2 && i + 1 < id.size() && static_cast<unsigned char>(id[i + 1]) < 0xA0) {
            return "session ID must not contain control characters";
        }
        if (byte == '/') return "session ID must not contain '/'";
    }
    if (characters > max_session_id_characters) {
        return "session ID must be at most " + std::to_string(max_session_id_characters) +
               " characters";
    }
    for (const auto suffix : reserved_session_id_suffixes) {
        if (id.ends_with(suffix)) {
            return "session ID must not end with '" + std::string(suffix) +
                   "' (reserved: it would name a key of another session)";
        }
    }
    return std::nullopt;
}

}  // namespace progressd::model
