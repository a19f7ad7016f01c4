// HTTPS against the real binary: the API and event streams over TLS to a client that verifies
// the certificate, clients that speak plain HTTP or nothing at all, and certificate reload on
// SIGHUP. Certificates are made for each test with the openssl command.
#include "e2e/e2e_support.hpp"
#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace progressd::testing {
namespace {

using namespace std::chrono_literals;

struct certificate {
    std::string cert;
    std::string key;
};

// A self-signed certificate for 127.0.0.1, so that it is its own CA for the client.
certificate make_certificate(const std::string& dir, const std::string& name) {
    certificate c{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=IP:127.0.0.1 -keyout '" +
        c.key + "' -out '" + c.cert + "' 2>/dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
    return c;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
}

// PEM as the file has it and as libcurl reports it differ in line ends only.
std::string squeezed(std::string text) {
    std::erase_if(text, [](unsigned char c) { return std::isspace(c) != 0; });
    return text;
}

size_t append_to_string(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

struct https_result {
    CURLcode code = CURLE_OK;
    long status = 0;
    std::string body;
    std::string served_cert;  ///< PEM of the leaf certificate, when a new connection was made
    long new_connections = 0;
};

// One libcurl handle that trusts `ca_file` only and verifies the peer and its name (127.0.0.1).
// It keeps its connection between requests, as a browser does.
class https_client {
public:
    explicit https_client(const std::string& ca_file) : curl_(curl_easy_init()) {
        curl_easy_setopt(curl_, CURLOPT_CAINFO, ca_file.c_str());
        curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(curl_, CURLOPT_CERTINFO, 1L);
        curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, append_to_string);
    }
    ~https_client() { curl_easy_cleanup(curl_); }
    https_client(const https_client&) = delete;
    https_client& operator=(const https_client&) = delete;

    https_result request(const std::string& url, const std::string& post_body = {}) {
        https_result r;
        curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
        curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
        curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
        if (post_body.empty()) {
            curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
        } else {
            curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, post_body.c_str());
        }
        r.code = curl_easy_perform(curl_);
        curl_slist_free_all(headers);
        curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
        curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &r.new_connections);
        curl_certinfo* info = nullptr;
        curl_easy_getinfo(curl_, CURLINFO_CERTINFO, &info);
        if (r.new_connections > 0 && info != nullptr && info->num_of_certs > 0) {
            for (curl_slist* field = info->certinfo[0]; field != nullptr; field = field->next) {
                const std::string_view text = field->data;
                if (text.starts_with("Cert:")) r.served_cert = text.substr(5);
            }
        }
        return r;
    }

private:
    CURL* curl_;
};

class tls_test : public e2e_test {
protected:
    static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

    // Not e2e_test::start(): its client speaks plain HTTP only.
    void start_tls(const certificate& c, std::vector<std::string> args = {}) {
        args.insert(args.end(), {"--store", "memory:", "--tls-cert", c.cert, "--tls-key", c.key});
        server_ = std::make_unique<server_process>(args);
    }
    std::string url(const std::string& target) const { return server_->base_url() + target; }

    // Waits (at most 5 s) for `text` in the log at or after `from`; true when it came.
    bool log_shows(const std::string& text, std::size_t from = 0) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline) {
            const std::string log = server_->log();
            if (log.size() > from && log.find(text, from) != std::string::npos) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }
};

TEST_F(tls_test, the_api_answers_over_https_to_a_client_that_verifies_the_certificate) {
    const auto a = make_certificate(dir_.path(), "a");
    start_tls(a);
    ASSERT_TRUE(server_->base_url().starts_with("https://127.0.0.1:")) << server_->base_url();

    https_client client(a.cert);
    auto posted = client.request(url("/api/progress/tls"), progress_body("tls", 3));
    ASSERT_EQ(posted.code, CURLE_OK) << curl_easy_strerror(posted.code);
    EXPECT_EQ(posted.status, 200);
    EXPECT_EQ(squeezed(posted.served_cert), squeezed(read_file(a.cert)));

    auto got = client.request(url("/api/progress/tls"));
    ASSERT_EQ(got.code, CURLE_OK) << curl_easy_strerror(got.code);
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.body, progress_body("tls", 3));
    EXPECT_EQ(got.new_connections, 0) << "keep-alive over TLS";

    // Refused before the body is read; the lingering close over TLS still delivers the answer.
    const auto too_big = client.request(url("/api/progress/tls"), std::string(200000, 'a'));
    ASSERT_EQ(too_big.code, CURLE_OK) << curl_easy_strerror(too_big.code);
    EXPECT_EQ(too_big.status, 413);
}

TEST_F(tls_test, plain_http_to_the_tls_port_gets_no_answer_and_the_server_keeps_serving) {
    const auto a = make_certificate(dir_.path(), "a");
    start_tls(a);
    const std::string answer =
        raw_exchange(server_->port(), "GET /api/progress/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    EXPECT_EQ(answer.find("HTTP/1."), std::string::npos) << answer;
    EXPECT_TRUE(log_shows("TLS handshake failed"));

    https_client client(a.cert);
    const auto r = client.request(url("/api/progress/x"));
    ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(r.status, 404);
}

// A TCP connection to the server that sends `bytes` and then nothing; -1 when it cannot connect.
int connect_and_send(unsigned short port, std::string_view bytes = {}) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
        close(fd);
        return -1;
    }
    return fd;
}

// How long after `started` the server closes `fd` (what it sends is dropped); at most `limit`.
std::chrono::milliseconds time_until_closed(int fd, std::chrono::steady_clock::time_point started,
                                            std::chrono::milliseconds limit) {
    const auto deadline = started + limit;
    char buffer[512];
    for (auto now = started; now < deadline; now = std::chrono::steady_clock::now()) {
        pollfd p{fd, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        if (poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) continue;
        if (recv(fd, buffer, sizeof buffer, 0) <= 0) break;
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started);
}

TEST_F(tls_test, a_handshake_that_never_starts_or_never_ends_is_dropped_at_the_header_timeout) {
    const auto a = make_certificate(dir_.path(), "a");
    start_tls(a, {"--header-timeout", "500"});
    const int silent = connect_and_send(server_->port());
    // The first bytes of a TLS record (a ClientHello of 255 bytes), and no more.
    const int stalled =
        connect_and_send(server_->port(), std::string_view("\x16\x03\x01\x00\xff\x01", 6));
    const auto started = std::chrono::steady_clock::now();
    ASSERT_GE(silent, 0);
    ASSERT_GE(stalled, 0);
    for (const int fd : {silent, stalled}) {
        const auto open_for = time_until_closed(fd, started, 5000ms);
        EXPECT_GE(open_for, 300ms);
        EXPECT_LT(open_for, 3000ms) << "not closed at the header timeout";
        close(fd);
    }
}

// A silent connection holds up neither the only I/O thread nor a graceful shutdown, which closes
// it as it closes idle keep-alive connections.
TEST_F(tls_test, a_client_that_never_says_hello_blocks_neither_others_nor_the_shutdown) {
    const auto a = make_certificate(dir_.path(), "a");
    start_tls(a, {"--threads", "1"});
    const int silent = connect_and_send(server_->port());
    ASSERT_GE(silent, 0);

    for (int i = 0; i < 3; ++i) {
        https_client client(a.cert);
        const auto r = client.request(url("/api/progress/x"));
        EXPECT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    }

    // The shutdown grace is 4.5 s: a handshake that held the shutdown up would take that long.
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(server_->terminate(), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    EXPECT_EQ(server_->log().find("grace period over"), std::string::npos) << server_->log();
    close(silent);
}

TEST_F(tls_test, sighup_reloads_the_certificate_for_new_connections_and_a_bad_one_keeps_the_old) {
    const auto a = make_certificate(dir_.path(), "a");
    const auto b = make_certificate(dir_.path(), "b");
    const certificate live{dir_.path() + "/live.crt", dir_.path() + "/live.key"};
    write_file(live.cert, read_file(a.cert));
    write_file(live.key, read_file(a.key));
    start_tls(live);

    https_client open_before(a.cert);
    auto r = open_before.request(url("/api/progress/x"));
    ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(squeezed(r.served_cert), squeezed(read_file(a.cert)));

    write_file(live.cert, read_file(b.cert));
    write_file(live.key, read_file(b.key));
    std::size_t log_mark = server_->log().size();
    server_->signal(SIGHUP);
    ASSERT_TRUE(log_shows("reloaded TLS certificate from " + live.cert, log_mark))
        << server_->log();

    https_client trusts_b(b.cert);
    r = trusts_b.request(url("/api/progress/x"));
    ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(squeezed(r.served_cert), squeezed(read_file(b.cert)));
    https_client trusts_a(a.cert);
    EXPECT_EQ(trusts_a.request(url("/api/progress/x")).code, CURLE_PEER_FAILED_VERIFICATION);
    // The connection opened before the reload goes on with certificate A.
    r = open_before.request(url("/api/progress/x"));
    EXPECT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(r.new_connections, 0);

    write_file(live.key, "not a key\n");
    log_mark = server_->log().size();
    server_->signal(SIGHUP);
    EXPECT_TRUE(log_shows("cannot load TLS private key " + live.key, log_mark)) << server_->log();
    EXPECT_TRUE(log_shows("still serving the previous certificate", log_mark));
    https_client still_b(b.cert);
    r = still_b.request(url("/api/progress/x"));
    ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(squeezed(r.served_cert), squeezed(read_file(b.cert)));
}

TEST_F(tls_test, sighup_without_tls_is_logged_and_ignored) {
    start();
    server_->signal(SIGHUP);
    EXPECT_TRUE(log_shows("nothing to reload")) << server_->log();
    EXPECT_EQ(request(verb::get, "/api/progress/x").status, 404u);
}

// An event stream read by libcurl on a thread of its own, verifying the certificate.
class tls_event_stream {
public:
    tls_event_stream(const std::string& url, const std::string& ca_file) {
        thread_ = std::thread([this, url, ca_file] {
            CURL* curl = curl_easy_init();
            curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
            curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
            curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
            curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
            curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
            curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
            curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
            curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
            curl_easy_perform(curl);  // ends when on_data stops it, or at the timeout
            curl_easy_cleanup(curl);
            const std::lock_guard lock(mutex_);
            ended_ = true;
            grew_.notify_all();
        });
    }
    ~tls_event_stream() {
        hang_up();
        thread_.join();
    }
    tls_event_stream(const tls_event_stream&) = delete;
    tls_event_stream& operator=(const tls_event_stream&) = delete;

    /// Waits (at most 5 s) until the stream has carried `text`; true when it has.
    bool shows(const std::string& text) {
        std::unique_lock lock(mutex_);
        return grew_.wait_for(lock, 5s, [&] {
            return received_.find(text) != std::string::npos || ended_;
        }) && received_.find(text) != std::string::npos;
    }
    std::string received() {
        const std::lock_guard lock(mutex_);
        return received_;
    }
    /// libcurl closes the connection at the next data, or within about a second.
    void hang_up() { stop_ = true; }

private:
    static size_t on_data(char* data, size_t size, size_t count, void* self_pointer) {
        auto* self = static_cast<tls_event_stream*>(self_pointer);
        const std::lock_guard lock(self->mutex_);
        self->received_.append(data, size * count);
        self->grew_.notify_all();
        return self->stop_ ? 0 : size * count;  // 0 makes libcurl hang up
    }
    static int on_progress(void* self_pointer, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        return static_cast<tls_event_stream*>(self_pointer)->stop_ ? 1 : 0;
    }

    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable grew_;
    std::string received_;
    bool ended_ = false;
    std::atomic<bool> stop_{false};
};

TEST_F(tls_test, an_event_stream_over_tls_delivers_events_and_notices_the_client_leave) {
    const auto a = make_certificate(dir_.path(), "a");
    // One watcher per client: the second stream below opens only if the first one's departure
    // was noticed, which over TLS takes a read through TLS, not only a write that fails.
    start_tls(a, {"--max-watchers-per-ip", "1"});
    https_client client(a.cert);
    ASSERT_EQ(client.request(url("/api/progress/live"), progress_body("live", 1)).status, 200);
    {
        tls_event_stream events(url("/api/progress/live/events"), a.cert);
        ASSERT_TRUE(events.shows("data: " + progress_body("live", 1))) << events.received();
        ASSERT_EQ(client.request(url("/api/progress/live"), progress_body("live", 2)).status, 200);
        EXPECT_TRUE(events.shows("event: progress\nid: 2-0\ndata: " + progress_body("live", 2)))
            << events.received();
        events.hang_up();
        ASSERT_EQ(client.request(url("/api/progress/live"), progress_body("live", 3)).status, 200);
    }

    // Retried for a while: the server learns of the hang-up a moment after it happens.
    long status = 0;
    for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
        tls_event_stream again(url("/api/progress/live/events"), a.cert);
        if (again.shows("data: " + progress_body("live", 3))) status = 200;
        if (status != 200) std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(status, 200) << "the first stream's watcher slot was never given back";
}

}  // namespace
}  // namespace progressd::testing
