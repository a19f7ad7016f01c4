// Shared pieces of the end-to-end tests: realistic bodies and a running server with a client.
#pragma once

#include "cli/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>
#include <boost/beast/http/verb.hpp>

#include <boost/json/parse.hpp>

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace progressd::testing {

using boost::beast::http::verb;

/// A ProgressData body as a setup script sends it.
inline std::string progress_body(const std::string& session_id, int step,
                                 const std::string& action = "Installing Git") {
    return R"({"sessionId":")" + session_id + R"(","currentStep":)" + std::to_string(step) +
           R"(,"completedSteps":[],"currentAction":")" + action +
           R"(","toolStatus":{"git":{"status":"installing","version":null}},"errors":[],)"
           R"("timestamp":"2026-11-26T12:00:00.000Z","phase":"phase1","complete":false})";
}

inline std::string log_body(int step) {
    return R"({"tool":"git","error":"exit code 1","suggestedFix":"Run as administrator",)"
           R"("timestamp":"2026-11-26T12:00:00.000Z","step":)" +
           std::to_string(step) + "}";
}

/// Appends `clients` × `per_client` log entries to session "race" at once, client c talking to
/// base_urls[c % size], and checks that the answers' totalErrors are 1…N, each exactly once.
inline void expect_concurrent_appends_counted_once(const std::vector<std::string>& base_urls,
                                                   int clients, int per_client) {
    std::mutex totals_mutex;
    std::multiset<int> totals;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            cli::http_client client(base_urls[static_cast<std::size_t>(c) % base_urls.size()]);
            for (int i = 0; i < per_client; ++i) {
                const auto r = client.request(verb::post, "/api/progress/race/log", log_body(c));
                EXPECT_EQ(r.status, 200u) << r.body;
                if (r.status != 200) return;
                const auto total = boost::json::parse(r.body).at("totalErrors").to_number<int>();
                const std::lock_guard lock(totals_mutex);
                totals.insert(total);
            }
        });
    }
    for (auto& t : threads) t.join();
    std::multiset<int> expected;
    for (int i = 1; i <= clients * per_client; ++i) expected.insert(i);
    EXPECT_EQ(totals, expected);
    for (const auto& url : base_urls) {
        cli::http_client client(url);
        const auto log =
            boost::json::parse(client.request(verb::get, "/api/progress/race/log").body);
        EXPECT_EQ(log.at("errors").as_array().size(),
                  static_cast<std::size_t>(clients * per_client));
    }
}

/// A progressd on a free port with an SQLite store in a fresh directory, and a client for it.
class e2e_test : public ::testing::Test {
protected:
    void start(std::vector<std::string> args = {}) {
        if (args.empty() || std::find(args.begin(), args.end(), "--store") == args.end()) {
            args.insert(args.end(), {"--store", "sqlite:" + db_path()});
        }
        server_ = std::make_unique<server_process>(args);
        client_ = std::make_unique<cli::http_client>(server_->base_url());
    }
    std::string db_path() const { return dir_.path() + "/progress.db"; }

    cli::http_response request(verb method, const std::string& target, std::string body = {},
                               cli::header_list headers = {}) {
        return client_->request(method, target, std::move(body), std::move(headers));
    }

    temp_dir dir_;
    std::unique_ptr<server_process> server_;
    std::unique_ptr<cli::http_client> client_;
};

}  // namespace progressd::testing
