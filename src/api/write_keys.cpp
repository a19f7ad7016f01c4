#include "api/write_keys.hpp"

#include "api/access_policy.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace progressd::api {

std::string generate_write_key() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw std::runtime_error("the system's random number generator failed");
    }
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string key;
    key.reserve(43);
    unsigned buffer = 0;
    int bits = 0;
    for (const unsigned char byte : bytes) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            key += alphabet[(buffer >> bits) & 0x3F];
        }
    }
    if (bits > 0) key += alphabet[(buffer << (6 - bits)) & 0x3F];
    return key;
}

std::string write_key_digest(std::string_view key) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(key.data(), key.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    constexpr std::string_view hex = "0123456789abcdef";
    std::string text;
    text.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 0x0F];
    }
    return text;
}

boost::asio::awaitable<std::variant<write_permit, http::reply>> check_write_key(
    store::store& store, const std::string& session_id, std::string_view presented,
    std::chrono::seconds ttl, std::string_view write_action) {
    std::optional<std::string> fresh;
    if (presented.empty()) fresh = generate_write_key();
    const std::string digest = write_key_digest(fresh ? *fresh : presented);
    auto current = co_await store.claim_write_key(session_id, digest, ttl);
    if (!current) {
        // A full store refuses the claim as it would refuse the write: answer as the write.
        const bool full = current.error() == store_errc::storage_full;
        co_return http::store_failure_reply(full ? write_action : "Failed to check the write key",
                                            current.error());
    }
    if (constant_time_equal(*current, digest)) co_return write_permit{fresh};
    if (fresh) {
        co_return http::auth_failure_reply(
            401, "This session has a write key: send the key of its first write as X-Write-Key");
    }
    co_return http::auth_failure_reply(403,
                                       "The X-Write-Key given is not this session's write key");
}

}  // namespace progressd::api
