// `kv-rest:` — the Upstash REST protocol that Vercel KV speaks, in the original app's key layout
// (store/redis_layout.hpp). A command is one POST of its JSON array to the base URL, answered by
// {"result": …} or {"error": "…"}.
//
// DESIGN. libcurl's easy interface blocks, so it never runs on an I/O thread. A fixed pool of
// workers takes operations from one FIFO queue (store/work_queue.hpp, bounded, with the Redis
// store's deadline of one command timeout); each worker owns one CURL easy handle, whose
// kept-alive connection makes an operation cost one round trip. An operation completes on its
// worker and its result is posted back to the caller's executor, which counts as outstanding
// work until then (as in sqlite_store::submit). Atomicity is Redis's: a write is one Lua script
// (EVALSHA, or EVAL when the script cache lacks it), a read one command; list() alone takes
// SCANs and then one read script. Expiry is Redis's own
// (EX), so the clock is not consulted. close() lets the workers finish what is queued; later
// operations fail as unavailable.
#include "store/kv_rest_store.hpp"

#include "store/redis_layout.hpp"
#include "store/store_spec.hpp"
#include "store/work_queue.hpp"
#include "store/worker_completion.hpp"
#include "util/net.hpp"

#include <curl/curl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace progressd::store {
namespace {

// Operations in flight at once, and so connections to the endpoint.
constexpr std::size_t worker_count = 4;
// Operations waiting for a worker beyond this are refused as unavailable (see redis_store.cpp).
constexpr std::size_t max_queued = 16384;

// Answers are a few kB; a URL that points at something else may stream without end.
constexpr std::size_t max_answer_bytes = std::size_t{16} * 1024 * 1024;

//------------------------------------------------------------------------------
// libcurl handles

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("cannot initialise libcurl");
        }
    });
}

// Owns a CURL easy handle: no copy, a noexcept move, a destructor that cannot fail.
class curl_easy {
public:
    curl_easy() : handle_(curl_easy_init()) {
        if (handle_ == nullptr) throw std::runtime_error("cannot create a libcurl handle");
    }
    ~curl_easy() {
        if (handle_ != nullptr) curl_easy_cleanup(handle_);
    }
    curl_easy(curl_easy&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    curl_easy& operator=(curl_easy&&) = delete;
    curl_easy(const curl_easy&) = delete;
    curl_easy& operator=(const curl_easy&) = delete;

    CURL* get() const noexcept { return handle_; }

private:
    CURL* handle_;
};

struct slist_deleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using curl_headers = std::unique_ptr<curl_slist, slist_deleter>;

curl_headers make_headers(const std::string& token) {
    curl_headers headers;
    // "Expect:" switches off the 100-continue round trip that libcurl adds for large bodies.
    for (const std::string& line :
         {"Authorization: Bearer " + token, std::string("Content-Type: application/json"),
          std::string("Expect:")}) {
        curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
        if (grown == nullptr) throw std::bad_alloc();
        (void)headers.release();
        headers.reset(grown);
    }
    return headers;
}

//------------------------------------------------------------------------------
// One connection to the endpoint

enum class token_kind { write, read };

struct http_reply {
    CURLcode code = CURLE_OK;
    long status = 0;
    std::string body;
    std::string error;  ///< libcurl's message when code != CURLE_OK
};

// A kept-alive connection to the base URL, used by one thread at a time.
class rest_connection {
public:
    rest_connection(const store_spec& spec, const open_options& options)
        : write_headers_(make_headers(spec.token)),
          read_headers_(
              make_headers(spec.read_only_token.empty() ? spec.token : spec.read_only_token)) {
        CURL* h = easy_.get();
        curl_easy_setopt(h, CURLOPT_URL, spec.location.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        // Without signals libcurl's timeouts are safe in threads (it would use SIGALRM).
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        // A Redis port answers "-ERR …" without a status line; that must not pass for HTTP.
        curl_easy_setopt(h, CURLOPT_HTTP09_ALLOWED, 0L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options.connect_timeout.count()));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.command_timeout.count()));
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_.data());
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &rest_connection::on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
    }
    rest_connection(const rest_connection&) = delete;  // libcurl keeps pointers into it
    rest_connection& operator=(const rest_connection&) = delete;

    /// POSTs `body` (a JSON command array) with the token of `token` and waits for the answer.
    /// Never throws: a transport failure is a reply whose `code` is not CURLE_OK.
    http_reply post(const std::string& body, token_kind token) {
        CURL* h = easy_.get();
        answer_.clear();
        error_[0] = '\0';
        curl_easy_setopt(h, CURLOPT_HTTPHEADER,
                         token == token_kind::write ? write_headers_.get() : read_headers_.get());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        http_reply reply;
        reply.code = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
        if (reply.code != CURLE_OK) {
            reply.error = error_[0] != '\0' ? error_.data() : curl_easy_strerror(reply.code);
        }
        reply.body = std::move(answer_);
        return reply;
    }

private:
    static std::size_t on_data(char* data, std::size_t size, std::size_t count, void* self) {
        auto& answer = static_cast<rest_connection*>(self)->answer_;
        if (answer.size() + count > max_answer_bytes) return 0;  // libcurl: CURLE_WRITE_ERROR
        answer.append(data, size * count);
        return size * count;
    }

    curl_easy easy_;
    curl_headers write_headers_;
    curl_headers read_headers_;
    std::array<char, CURL_ERROR_SIZE> error_{};
    std::string answer_;
};

//------------------------------------------------------------------------------
// Answers

// What one command came to: its `result`, or an error code and the reason for the log.
struct command_outcome {
    json::value result;
    boost::system::error_code ec;
    std::string reason;  ///< Upstash's error text, or what went wrong on the way
    long status = 0;
};

std::string excerpt(std::string_view text) {
    constexpr std::size_t limit = 200;
    return text.size() <= limit ? std::string(text) : std::string(text.substr(0, limit)) + "…";
}

// Maps a reply to an outcome; logs nothing (the caller knows which errors are expected).
command_outcome interpret(const http_reply& reply) {
    command_outcome out;
    out.status = reply.status;
    if (reply.code == CURLE_OPERATION_TIMEDOUT) {
        out.ec = store_errc::timeout;
        out.reason = reply.error;
        return out;
    }
    if (reply.code != CURLE_OK) {
        out.ec = store_errc::unavailable;
        out.reason = reply.error;
        return out;
    }
    boost::system::error_code parse_error;
    json::value answer = json::parse(reply.body, parse_error);
    const json::object* fields = parse_error ? nullptr : answer.if_object();
    const json::value* error = fields ? fields->if_contains("error") : nullptr;
    const json::value* result = fields ? fields->if_contains("result") : nullptr;
    if (error != nullptr && error->is_string()) {
        out.reason = std::string(error->get_string());
    } else if (result == nullptr || reply.status != 200) {
        out.reason = "HTTP " + std::to_string(reply.status) + " " + excerpt(reply.body);
    }
    if (reply.status >= 500 || reply.status == 429) {
        out.ec = store_errc::unavailable;  // the service's trouble, not the request's
    } else if (!out.reason.empty()) {
        out.ec = store_errc::io_error;
    } else {
        out.result = *result;
    }
    return out;
}

// A JSON integer that counts something (a version, log entries).
std::optional<std::uint64_t> to_count(const json::value& v) {
    if (const auto* u = v.if_uint64()) return *u;
    const auto* i = v.if_int64();
    if (i == nullptr || *i < 0) return std::nullopt;
    return static_cast<std::uint64_t>(*i);
}

// The version counter as Redis keeps it: a decimal string, absent for sessions that only the
// original app has written.
std::optional<std::uint64_t> to_version(const json::value& v) {
    if (v.is_null()) return 0;
    const auto* text = v.if_string();
    if (text == nullptr) return std::nullopt;
    std::uint64_t version = 0;
    const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), version);
    if (ec != std::errc{} || ptr != text->data() + text->size()) return std::nullopt;
    return version;
}

// The JSON array of a command, as the body of a POST.
std::string command_body(const std::vector<std::string_view>& command) {
    json::array array;
    array.reserve(command.size());
    for (const auto part : command) array.emplace_back(json::string_view(part.data(), part.size()));
    return json::serialize(array);
}

// Redis rejects EX 0; a zero TTL means "expire as soon as possible".
std::string ttl_seconds(std::chrono::seconds ttl) {
    return std::to_string(std::max<std::chrono::seconds::rep>(ttl.count(), 1));
}

//------------------------------------------------------------------------------
// The store

class kv_rest_store final : public store {
public:
    kv_rest_store(const store_spec& spec, const open_options& options, bool reachable)
        : url_(spec.location),
          read_token_name_(spec.read_only_token.empty() ? "KV_REST_API_TOKEN"
                                                        : "KV_REST_API_READ_ONLY_TOKEN"),
          put_sha_(redis_layout::script_sha1(redis_layout::put_script)),
          append_sha_(redis_layout::script_sha1(redis_layout::append_log_script)),
          remove_sha_(redis_layout::script_sha1(redis_layout::remove_script)),
          claim_sha_(redis_layout::script_sha1(redis_layout::claim_write_key_script)),
          list_fetch_sha_(redis_layout::script_sha1(redis_layout::list_fetch_script)),
          max_log_entries_(std::to_string(options.max_log_entries)),
          max_log_bytes_(std::to_string(options.max_log_bytes)),
          reachable_(reachable),
          // The Redis store's bounded wait: a job not taken within a command timeout (Upstash
          // hangs and every worker waits for it) is answered timeout, and the backlog is capped.
          queue_({.max_queued = max_queued, .max_wait = options.command_timeout},
                 [](job& j, store_errc e) { j(nullptr, e); }) {
        for (std::size_t i = 0; i < worker_count; ++i) {
            connections_.push_back(std::make_unique<rest_connection>(spec, options));
        }
        try {
            for (auto& c : connections_) workers_.emplace_back([this, &c] { run_worker(*c); });
        } catch (...) {
            close();  // joins the workers that did start
            throw;
        }
    }
    ~kv_rest_store() override { close(); }

    net::awaitable<result<stored_progress>> get(std::string session_id) override {
        return submit<stored_progress>(
            [this, id = std::move(session_id)](rest_connection& c) { return do_get(c, id); });
    }

    net::awaitable<result<std::uint64_t>> put(std::string session_id, std::string progress_json,
                                              std::chrono::seconds ttl) override {
        return submit<std::uint64_t>(
            [this, id = std::move(session_id), text = std::move(progress_json),
             ttl](rest_connection& c) { return do_put(c, id, text, ttl, std::nullopt); });
    }

    net::awaitable<result<std::uint64_t>> put_if(std::string session_id, std::string progress_json,
                                                 std::chrono::seconds ttl,
                                                 std::optional<std::uint64_t> expected) override {
        return submit<std::uint64_t>(
            [this, id = std::move(session_id), text = std::move(progress_json), ttl,
             expected](rest_connection& c) { return do_put(c, id, text, ttl, expected); });
    }

    net::awaitable<result<std::uint64_t>> append_log(std::string session_id, std::string entry_json,
                                                     std::chrono::seconds ttl) override {
        return submit<std::uint64_t>(
            [this, id = std::move(session_id), text = std::move(entry_json),
             ttl](rest_connection& c) { return do_append(c, id, text, ttl); });
    }

    net::awaitable<result<std::string>> get_log(std::string session_id) override {
        return submit<std::string>(
            [this, id = std::move(session_id)](rest_connection& c) { return do_get_log(c, id); });
    }

    net::awaitable<result<session_page>> list(std::string cursor, std::size_t limit) override {
        return submit<session_page>([this, cursor = std::move(cursor), limit](rest_connection& c) {
            return do_list(c, cursor, limit);
        });
    }

    net::awaitable<result<bool>> remove(std::string session_id) override {
        return submit<bool>(
            [this, id = std::move(session_id)](rest_connection& c) { return do_remove(c, id); });
    }

    // Counting would take a SCAN of the whole keyspace.
    net::awaitable<result<std::uint64_t>> count() override { co_return store_errc::unsupported; }

    net::awaitable<result<std::string>> claim_write_key(std::string session_id,
                                                        std::string key_digest,
                                                        std::chrono::seconds ttl) override {
        return submit<std::string>(
            [this, id = std::move(session_id), digest = std::move(key_digest),
             ttl](rest_connection& c) { return do_claim(c, id, digest, ttl); });
    }

    net::awaitable<result<void>> ping() override {
        return submit<void>([this](rest_connection& c) { return do_ping(c); });
    }

    void close() override {
        if (closed_.exchange(true)) return;
        queue_.close();  // the workers finish what is queued, then end
        for (auto& w : workers_) w.join();
    }

private:
    // Runs on a worker with its connection, or with nullptr and the reason the queue answers
    // it instead (closed, full, or waited too long).
    using job = std::function<void(rest_connection*, store_errc)>;

    template <class T>
    using operation = std::function<result<T>(rest_connection&)>;

    template <class T>
    net::awaitable<result<T>> submit(operation<T> op);
    void run_worker(rest_connection& c);

    result<stored_progress> do_get(rest_connection& c, const std::string& id);
    // `expected`: nullopt for a plain put; for put_if, the version it must find, where an
    // inner nullopt means "absent".
    result<std::uint64_t> do_put(rest_connection& c, const std::string& id,
                                 const std::string& progress_json, std::chrono::seconds ttl,
                                 std::optional<std::optional<std::uint64_t>> expected);
    result<std::uint64_t> do_append(rest_connection& c, const std::string& id,
                                    const std::string& entry_json, std::chrono::seconds ttl);
    result<std::string> do_get_log(rest_connection& c, const std::string& id);
    result<session_page> do_list(rest_connection& c, const std::string& cursor, std::size_t limit);
    result<std::vector<std::optional<listed_session>>> fetch_listed(
        rest_connection& c, const std::vector<std::string>& ids);
    result<bool> do_remove(rest_connection& c, const std::string& id);
    result<std::string> do_claim(rest_connection& c, const std::string& id,
                                 const std::string& digest, std::chrono::seconds ttl);
    result<void> do_ping(rest_connection& c);

    command_outcome execute(rest_connection& c, token_kind token,
                            std::initializer_list<std::string_view> command) {
        return interpret(c.post(command_body({command.begin(), command.end()}), token));
    }

    // One MGET of the progress, version and log count of every session: what the live poller
    // asks each second for the sessions watched on this instance.
    net::awaitable<result<std::vector<watch_state>>> snapshot(
        std::vector<std::string> session_ids) override {
        return submit<std::vector<watch_state>>(
            [this, ids = std::move(session_ids)](rest_connection& c) {
                return do_snapshot(c, ids);
            });
    }

    result<std::vector<watch_state>> do_snapshot(rest_connection& c,
                                                 const std::vector<std::string>& ids) {
        std::vector<std::string> keys;
        keys.reserve(3 * ids.size());
        for (const auto& id : ids) {
            keys.push_back(redis_layout::progress_key(id));
            keys.push_back(redis_layout::version_key(id));
            keys.push_back(redis_layout::log_meta_key(id));
        }
        std::vector<std::string_view> command = {"MGET"};
        command.insert(command.end(), keys.begin(), keys.end());
        const auto out = interpret(c.post(command_body(command), token_kind::read));
        if (auto ec = report(out, token_kind::read, "MGET")) return ec;
        const auto* values = out.result.if_array();
        if (values == nullptr || values->size() != keys.size())
            return unexpected("MGET", out.result);
        std::vector<watch_state> states(ids.size());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto& json_text = (*values)[3 * i];
            if (const auto* text = json_text.if_string()) {
                states[i].progress = stored_progress{std::string(*text),
                                                     to_version((*values)[3 * i + 1]).value_or(0)};
            }
            // "<entries> <bytes>", as the append script leaves it.
            if (const auto* meta = (*values)[3 * i + 2].if_string()) {
                std::uint64_t entries = 0;
                std::from_chars(meta->data(), meta->data() + meta->size(), entries);
                states[i].log_entries = entries;
            }
        }
        return states;
    }
    command_outcome eval(rest_connection& c, std::string_view script, const std::string& sha,
                         std::string_view key_count,
                         std::initializer_list<std::string_view> keys_then_args) {
        return eval(c, script, sha, key_count,
                    std::vector<std::string_view>(keys_then_args.begin(), keys_then_args.end()));
    }
    command_outcome eval(rest_connection& c, std::string_view script, const std::string& sha,
                         std::string_view key_count,
                         const std::vector<std::string_view>& keys_then_args);
    boost::system::error_code report(const command_outcome& out, token_kind token,
                                     std::string_view what);
    boost::system::error_code unexpected(std::string_view what, const json::value& result);

    std::string url_;
    std::string read_token_name_;
    std::string put_sha_;
    std::string append_sha_;
    std::string remove_sha_;
    std::string claim_sha_;
    std::string list_fetch_sha_;
    std::string max_log_entries_;  ///< the append script's last two arguments
    std::string max_log_bytes_;
    std::atomic<bool> reachable_;

    std::vector<std::unique_ptr<rest_connection>> connections_;
    std::vector<std::thread> workers_;
    work_queue<job> queue_;
    std::atomic<bool> closed_{false};
};

//------------------------------------------------------------------------------
// Queue and workers

template <class T>
net::awaitable<result<T>> kv_rest_store::submit(operation<T> op) {
    return resume_when_done<T>([this, op = std::move(op)](completion<T> done) mutable {
        queue_.push(
            [done = std::move(done), op = std::move(op)](rest_connection* c, store_errc refusal) {
                result<T> r = refusal;
                if (c != nullptr) {
                    try {
                        r = op(*c);
                    } catch (const std::exception& e) {  // bad_alloc; must not cross threads
                        spdlog::error("kv-rest operation failed: {}", e.what());
                        r = store_errc::io_error;
                    }
                }
                done(std::move(r));
            });
    });
}

void kv_rest_store::run_worker(rest_connection& c) {
    std::vector<job> batch;
    while (queue_.take(batch, 1) != work_queue<job>::taken::closed) {
        for (auto& next : batch) next(&c, {});
        batch.clear();
    }
}

//------------------------------------------------------------------------------
// Operations: each runs on a worker and costs one round trip (two when a script must be loaded)

result<stored_progress> kv_rest_store::do_get(rest_connection& c, const std::string& id) {
    const auto out =
        execute(c, token_kind::read,
                {"MGET", redis_layout::progress_key(id), redis_layout::version_key(id)});
    if (auto ec = report(out, token_kind::read, "MGET")) return ec;
    const auto* values = out.result.if_array();
    if (values == nullptr || values->size() != 2) return unexpected("MGET", out.result);
    if ((*values)[0].is_null()) return store_errc::not_found;
    const auto* json_text = (*values)[0].if_string();
    const auto version = to_version((*values)[1]);
    if (json_text == nullptr || !version) return unexpected("MGET", out.result);
    return stored_progress{std::string(*json_text), *version};
}

result<std::uint64_t> kv_rest_store::do_put(rest_connection& c, const std::string& id,
                                            const std::string& progress_json,
                                            std::chrono::seconds ttl,
                                            std::optional<std::optional<std::uint64_t>> expected) {
    const std::string key = redis_layout::progress_key(id);
    const std::string version_key = redis_layout::version_key(id);
    const std::string seconds = ttl_seconds(ttl);
    const std::string condition = expected && *expected ? std::to_string(**expected) : "";
    const auto out = expected ? eval(c, redis_layout::put_script, put_sha_, "2",
                                     {key, version_key, progress_json, seconds, id, condition})
                              : eval(c, redis_layout::put_script, put_sha_, "2",
                                     {key, version_key, progress_json, seconds, id});
    if (auto ec = report(out, token_kind::write, "the put script")) return ec;
    if (const auto* i = out.result.if_int64(); i != nullptr && *i == -1) {
        return store_errc::conflict;
    }
    if (auto version = to_count(out.result)) return *version;
    return unexpected("the put script", out.result);
}

result<std::uint64_t> kv_rest_store::do_append(rest_connection& c, const std::string& id,
                                               const std::string& entry_json,
                                               std::chrono::seconds ttl) {
    const auto out = eval(c, redis_layout::append_log_script, append_sha_, "2",
                          {redis_layout::log_key(id), redis_layout::log_meta_key(id), entry_json,
                           ttl_seconds(ttl), id, max_log_entries_, max_log_bytes_});
    if (auto ec = report(out, token_kind::write, "the append script")) return ec;
    if (const auto* i = out.result.if_int64(); i != nullptr && (*i == -1 || *i == -2)) {
        return *i == -1 ? store_errc::log_full : store_errc::log_too_large;
    }
    if (auto count = to_count(out.result)) return *count;
    return unexpected("the append script", out.result);
}

result<std::string> kv_rest_store::do_get_log(rest_connection& c, const std::string& id) {
    const auto out = execute(c, token_kind::read, {"GET", redis_layout::log_key(id)});
    if (auto ec = report(out, token_kind::read, "GET")) return ec;
    if (out.result.is_null()) return std::string("[]");
    if (const auto* text = out.result.if_string()) return std::string(*text);
    return unexpected("GET", out.result);
}

// SCANs until the walk has a page of ids, then one script that reads them all: two round trips
// for most pages. SCAN is an ordinary command in the REST protocol.
result<store::session_page> kv_rest_store::do_list(rest_connection& c, const std::string& cursor,
                                                   std::size_t limit) {
    redis_layout::list_walk walk(cursor, limit);
    while (!walk.done()) {
        const auto count = std::to_string(walk.scan_count());
        const auto out =
            execute(c, token_kind::write,
                    {"SCAN", walk.scan_cursor(), "MATCH", "progress:*", "COUNT", count});
        if (auto ec = report(out, token_kind::write, "SCAN")) return ec;
        // [cursor, [key, …]]; the cursor is a string, but a number is as good.
        const auto* reply = out.result.if_array();
        const auto* keys = reply && reply->size() == 2 ? (*reply)[1].if_array() : nullptr;
        std::string next;
        if (reply && keys && (*reply)[0].is_string()) next = std::string((*reply)[0].get_string());
        if (reply && keys && (*reply)[0].is_number()) next = json::serialize((*reply)[0]);
        if (next.empty()) return unexpected("SCAN", out.result);
        std::vector<std::string_view> names;
        for (const auto& key : *keys) {
            if (!key.is_string()) return unexpected("SCAN", out.result);
            names.emplace_back(key.get_string().data(), key.get_string().size());
        }
        walk.take(names, std::move(next));
    }
    session_page page;
    page.next_cursor = walk.next_cursor();
    if (walk.ids().empty()) return page;
    auto listed = fetch_listed(c, walk.ids());
    if (!listed) return listed.error();
    for (std::size_t i = 0; i < walk.ids().size(); ++i) {
        auto& session = (*listed)[i];
        if (!session) continue;  // expired or removed since the SCAN
        session->session_id = walk.ids()[i];
        page.sessions.push_back(std::move(*session));
    }
    return page;
}

// The list fetch script for `ids`: per session its progress and expiry, or nullopt when absent.
result<std::vector<std::optional<store::listed_session>>> kv_rest_store::fetch_listed(
    rest_connection& c, const std::vector<std::string>& ids) {
    std::vector<std::string> keys;
    keys.reserve(2 * ids.size());
    for (const auto& id : ids) {
        keys.push_back(redis_layout::progress_key(id));
        keys.push_back(redis_layout::version_key(id));
    }
    const auto out =
        eval(c, redis_layout::list_fetch_script, list_fetch_sha_, std::to_string(keys.size()),
             std::vector<std::string_view>(keys.begin(), keys.end()));
    if (auto ec = report(out, token_kind::write, "the list script")) return ec;
    const auto* values = out.result.if_array();
    if (values == nullptr || values->size() != 3 * ids.size()) {
        return unexpected("the list script", out.result);
    }
    std::vector<std::optional<listed_session>> listed(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto* json_text = (*values)[3 * i].if_string();
        const auto version = to_version((*values)[3 * i + 1]);
        const auto* ttl = (*values)[3 * i + 2].if_int64();
        if (json_text == nullptr || ttl == nullptr || *ttl == -2) continue;
        if (!version) return unexpected("the list script", out.result);
        listed[i] = listed_session{
            {},
            {std::string(*json_text), *version},
            *ttl < 0 ? std::chrono::seconds(-1)
                     : std::chrono::ceil<std::chrono::seconds>(std::chrono::milliseconds(*ttl))};
    }
    return listed;
}

// result<bool> takes errors only in place: an error_code converts to bool.
result<bool> kv_rest_store::do_remove(rest_connection& c, const std::string& id) {
    const auto out = eval(
        c, redis_layout::remove_script, remove_sha_, "5",
        {redis_layout::progress_key(id), redis_layout::log_key(id), redis_layout::version_key(id),
         redis_layout::log_meta_key(id), redis_layout::write_key_key(id), id});
    if (auto ec = report(out, token_kind::write, "the remove script")) {
        return {boost::system::in_place_error, ec};
    }
    if (const auto* i = out.result.if_int64(); i != nullptr && (*i == 0 || *i == 1)) {
        return *i == 1;
    }
    return {boost::system::in_place_error, unexpected("the remove script", out.result)};
}

result<std::string> kv_rest_store::do_claim(rest_connection& c, const std::string& id,
                                            const std::string& digest, std::chrono::seconds ttl) {
    const auto out = eval(c, redis_layout::claim_write_key_script, claim_sha_, "1",
                          {redis_layout::write_key_key(id), digest, ttl_seconds(ttl)});
    if (auto ec = report(out, token_kind::write, "the claim script")) return ec;
    if (const auto* text = out.result.if_string()) return std::string(*text);
    return unexpected("the claim script", out.result);
}

// With the write token: ready means able to take writes, the job progressd is there for.
result<void> kv_rest_store::do_ping(rest_connection& c) {
    const auto out = execute(c, token_kind::write, {"PING"});
    if (auto ec = report(out, token_kind::write, "PING")) return ec;
    return result<void>{};
}

// EVALSHA of `script`, and EVAL when the endpoint's script cache does not have it (a new or
// restarted Redis); EVAL caches it for the next time.
command_outcome kv_rest_store::eval(rest_connection& c, std::string_view script,
                                    const std::string& sha, std::string_view key_count,
                                    const std::vector<std::string_view>& keys_then_args) {
    std::vector<std::string_view> command = {"EVALSHA", sha, key_count};
    command.insert(command.end(), keys_then_args.begin(), keys_then_args.end());
    auto out = interpret(c.post(command_body(command), token_kind::write));
    if (out.ec == store_errc::io_error && out.reason.starts_with("NOSCRIPT")) {
        command[0] = "EVAL";
        command[1] = script;
        out = interpret(c.post(command_body(command), token_kind::write));
    }
    return out;
}

// Logs a failed outcome once, in words that say what to fix, and returns its code; {} for a
// success. The endpoint's reachability is logged when it changes, not for every request.
boost::system::error_code kv_rest_store::report(const command_outcome& out, token_kind token,
                                                std::string_view what) {
    if (out.ec != store_errc::unavailable && !reachable_.exchange(true)) {
        spdlog::info("kv-rest endpoint {} answers again", url_);
    }
    if (!out.ec) return {};
    if (out.ec == store_errc::unavailable) {
        if (reachable_.exchange(false)) {
            spdlog::warn("kv-rest endpoint {} is unavailable: {}", url_, out.reason);
        }
    } else if (out.ec == store_errc::timeout) {
        spdlog::warn("kv-rest {} timed out: {}", what, out.reason);
    } else if (out.status == 401) {
        spdlog::warn("{} rejected by {}: {}",
                     token == token_kind::write ? "KV_REST_API_TOKEN" : read_token_name_, url_,
                     out.reason);
    } else {
        spdlog::warn("kv-rest {} failed: {}", what, out.reason);
    }
    return out.ec;
}

boost::system::error_code kv_rest_store::unexpected(std::string_view what,
                                                    const json::value& result) {
    spdlog::warn("kv-rest {} answered unexpectedly: {}", what, excerpt(json::serialize(result)));
    return store_errc::io_error;
}

//------------------------------------------------------------------------------
// Startup

// Whether the server behind `url` answers an inline PING the way Redis does: "+PONG", or an
// error such as "-NOAUTH". Used only to explain a startup failure.
bool answers_redis_protocol(const std::string& url, const open_options& options) {
    curl_easy easy;
    CURL* h = easy.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_socket_t fd = CURL_SOCKET_BAD;
    if (curl_easy_perform(h) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD) {
        return false;
    }
    constexpr std::string_view ping = "PING\r\n";
    std::size_t sent = 0;
    if (curl_easy_send(h, ping.data(), ping.size(), &sent) != CURLE_OK || sent != ping.size()) {
        return false;
    }
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, static_cast<int>(options.command_timeout.count())) <= 0) return false;
    char first = 0;
    std::size_t received = 0;
    return curl_easy_recv(h, &first, 1, &received) == CURLE_OK && received == 1 &&
           (first == '+' || first == '-');
}

// Sends PING with each token. Throws std::runtime_error for what no retry can fix: a URL that
// does not speak HTTP, a rejected token, an answer that is not Upstash's. Returns false when the
// endpoint cannot be reached, which is logged and left to ping() (it may come up later).
bool probe(const store_spec& spec, const open_options& options) {
    const std::string url = redact_password(spec.location);  // what messages show
    rest_connection connection(spec, options);
    const http_reply reply = connection.post(R"(["PING"])", token_kind::write);
    const auto fail = [&](const std::string& why) { throw std::runtime_error(why); };
    switch (reply.code) {
        case CURLE_OK:
            break;
        case CURLE_GOT_NOTHING:  // Redis ≥ 3.2.7 drops a connection that sends "POST"
        case CURLE_RECV_ERROR:
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL:  // an HTTP/0.9 answer, refused
            if (answers_redis_protocol(spec.location, options)) {
                fail("KV_REST_API_URL=" + url +
                     " answers with the Redis protocol, not HTTP: use --store redis://host:port "
                     "instead");
            }
            if (reply.code != CURLE_GOT_NOTHING && reply.code != CURLE_RECV_ERROR) {
                fail("KV_REST_API_URL=" + url + " does not answer HTTP: " + reply.error);
            }
            [[fallthrough]];
        default:
            spdlog::warn("kv-rest endpoint {} is unreachable ({}); /readyz is 503 until it is up",
                         url, reply.error);
            return false;
    }
    if (reply.status == 401) fail("KV_REST_API_TOKEN is not accepted by " + url);
    const auto out = interpret(reply);
    if (out.ec == store_errc::unavailable) {
        spdlog::warn("kv-rest endpoint {} is unavailable ({})", url, out.reason);
        return false;
    }
    if (out.ec || !out.result.is_string() || out.result.get_string() != "PONG") {
        fail("KV_REST_API_URL=" + url + " does not answer PING like an Upstash REST endpoint: " +
             (out.ec ? out.reason : excerpt(json::serialize(out.result))));
    }
    if (!spec.read_only_token.empty() &&
        connection.post(R"(["PING"])", token_kind::read).status == 401) {
        fail("KV_REST_API_READ_ONLY_TOKEN is not accepted by " + url);
    }
    return true;
}

}  // namespace

std::unique_ptr<store> make_kv_rest_store(const store_spec& spec, const open_options& options,
                                          const clock&) {
    if (!spec.location.starts_with("http://") && !spec.location.starts_with("https://")) {
        throw std::runtime_error("KV_REST_API_URL=" + redact_password(spec.location) +
                                 " is not an http:// or https:// URL");
    }
    if (spec.token.empty()) throw std::runtime_error("the kv-rest store needs KV_REST_API_TOKEN");
    init_curl_once();
    const bool reachable = probe(spec, options);
    return std::make_unique<kv_rest_store>(spec, options, reachable);
}

}  // namespace progressd::store
