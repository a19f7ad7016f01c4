// Shared pieces of the end-to-end tests: realistic bodies and a running server with a client.
#pragma once

#include "cli/http_client.hpp"
#include "support/server_process.hpp"

#include <gtest/gtest.h>
#include <boost/beast/http/verb.hpp>

#include <memory>
#include <string>

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
