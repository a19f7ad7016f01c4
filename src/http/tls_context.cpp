#include "http/tls_context.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <stdexcept>

namespace progressd::http {
namespace {

namespace ssl = boost::asio::ssl;

// Forward secrecy and AEAD only for TLS 1.2 (Mozilla's "intermediate" list); TLS 1.3 suites are
// all of that already and keep OpenSSL's defaults.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

[[noreturn]] void fail(const char* what, const std::string& path, const std::string& reason) {
    throw std::runtime_error(std::string("cannot load TLS ") + what + " " + path + ": " + reason);
}

std::shared_ptr<ssl::context> load(const std::string& cert_path, const std::string& key_path) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = context->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    // No renegotiation: with it a TLS 1.2 write could need a read, and an event stream's
    // disconnect watcher reads while its writer writes.
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_DH_USE |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_dh_auto(native, 1);
    SSL_CTX_set_cipher_list(native, tls12_ciphers);

    boost::system::error_code ec;
    context->use_certificate_chain_file(cert_path, ec);
    if (ec) fail("certificate", cert_path, ec.message());
    context->use_private_key_file(key_path, ssl::context::pem, ec);
    if (ec) fail("private key", key_path, ec.message());
    if (SSL_CTX_check_private_key(native) != 1) {
        fail("private key", key_path, "it does not match the certificate " + cert_path);
    }
    return context;
}

}  // namespace

tls_context::tls_context(std::string cert_path, std::string key_path)
    : cert_path_(std::move(cert_path)),
      key_path_(std::move(key_path)),
      context_(load(cert_path_, key_path_)) {}

std::shared_ptr<ssl::context> tls_context::current() const {
    const std::lock_guard lock(mutex_);
    return context_;
}

bool tls_context::reload() {
    std::shared_ptr<ssl::context> fresh;
    try {
        fresh = load(cert_path_, key_path_);
    } catch (const std::exception& e) {
        spdlog::warn("{}; still serving the previous certificate", e.what());
        return false;
    }
    const std::lock_guard lock(mutex_);
    context_.swap(fresh);
    return true;  // the old context goes when its last connection does
}

}  // namespace progressd::http
