// The TLS certificate and key the listener serves, loaded from PEM files and reloadable while
// connections are open (SIGHUP). OpenSSL stays out of this header.
#pragma once

#include <memory>
#include <mutex>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace progressd::http {

class tls_context {
public:
    /// Loads `cert_path` (a PEM chain, leaf first) and `key_path` (its PEM private key) into a
    /// server context that speaks TLS 1.2 and 1.3 only. Throws std::runtime_error naming the file
    /// ("cannot load TLS private key K: key values mismatch").
    tls_context(std::string cert_path, std::string key_path);

    /// The context for a new connection. The connection keeps it for its whole life, so a
    /// reload never changes the certificate under a connection that is already open.
    std::shared_ptr<boost::asio::ssl::context> current() const;

    /// Loads both files again and, when that works, gives new connections the new context.
    /// When it fails, logs one warning and keeps the old one. Thread-safe.
    bool reload();

    const std::string& cert_path() const { return cert_path_; }

private:
    std::string cert_path_;
    std::string key_path_;
    mutable std::mutex mutex_;
    std::shared_ptr<boost::asio::ssl::context> context_;
};

}  // namespace progressd::http
