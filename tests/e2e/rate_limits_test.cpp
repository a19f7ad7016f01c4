// The default rate limits against what really arrives from one address (issue 17): a workshop of
// machines behind one router is never refused, a runaway loop on one session and a flood of
// fresh session ids are. Every test here runs the server with its own default limits.
#include "e2e/e2e_support.hpp"

#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace progressd::testing {
namespace {

namespace json = boost::json;

class rate_limits_test : public e2e_test {
protected:
    void start_with_default_limits(std::vector<std::string> args = {}) {
        args.insert(args.end(), {"--store", "sqlite:" + db_path()});
        server_ = std::make_unique<server_process>(args, server_process::rate_limits::defaults);
        client_ = std::make_unique<cli::http_client>(server_->base_url());
    }
};

std::string final_body(const std::string& id) {
    std::string body = progress_body(id, 27, "Setup complete");
    body.replace(body.find(R"("complete":false)"), 16, R"("complete":true)");
    return body;
}

TEST_F(rate_limits_test, a_workshop_of_thirty_machines_behind_one_address_is_never_refused) {
    start_with_default_limits();
    constexpr int machines = 30;
    constexpr int posts = 27;  // nine tools × "Checking", "Installing", "complete"
    std::atomic<int> refused{0};
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int m = 0; m < machines; ++m) {
        threads.emplace_back([&, m] {
            cli::http_client machine(server_->base_url());
            const std::string id = "workshop-" + std::to_string(m);
            // All machines start at the same moment, as a room told "run it now" does.
            ++ready;
            while (ready.load() < machines) std::this_thread::yield();
            for (int i = 0; i < posts; ++i) {
                const auto r = machine.request(
                    verb::post, "/api/progress/" + id,
                    progress_body(id, i, "Installing tool " + std::to_string(i / 3)));
                if (r.status != 200) ++refused;
            }
            if (machine.request(verb::post, "/api/progress/" + id, final_body(id)).status != 200) {
                ++refused;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(refused.load(), 0);
    for (int m = 0; m < machines; ++m) {
        const auto r = request(verb::get, "/api/progress/workshop-" + std::to_string(m));
        ASSERT_EQ(r.status, 200u) << r.body;
        EXPECT_EQ(json::parse(r.body).at("complete"), true) << m;
    }
}

TEST_F(rate_limits_test, a_runaway_loop_on_one_session_is_stopped_and_its_neighbours_are_not) {
    start_with_default_limits();
    int accepted = 0;
    int refused = 0;
    std::string retry_after;
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 500; ++i) {
        const auto r = request(verb::post, "/api/progress/runaway", progress_body("runaway", i));
        if (r.status == 200) ++accepted;
        if (r.status == 429) {
            ++refused;
            retry_after = r.header("Retry-After");
            EXPECT_NE(r.body.find("per second to this session"), std::string::npos) << r.body;
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ASSERT_LT(seconds, 5.0);  // the loop is fast enough for the bucket to matter
    EXPECT_LE(accepted, 30 + static_cast<int>(10 * seconds) + 1);
    EXPECT_EQ(accepted + refused, 500);
    EXPECT_GT(refused, 400);
    EXPECT_FALSE(retry_after.empty());
    // The same address goes on writing its other sessions, and reading the runaway one.
    for (int s = 0; s < 5; ++s) {
        const std::string id = "neighbour-" + std::to_string(s);
        EXPECT_EQ(request(verb::post, "/api/progress/" + id, progress_body(id, 1)).status, 200u);
    }
    EXPECT_EQ(request(verb::get, "/api/progress/runaway").status, 200u);
}

TEST_F(rate_limits_test, ten_thousand_new_session_ids_from_one_address_are_limited) {
    start_with_default_limits();
    constexpr int clients = 4;
    constexpr int per_client = 2500;
    std::atomic<int> accepted{0};
    std::atomic<int> refused{0};
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            cli::http_client client(server_->base_url());
            for (int i = 0; i < per_client; ++i) {
                const std::string id = "fresh-" + std::to_string(c) + "-" + std::to_string(i);
                const auto r =
                    client.request(verb::post, "/api/progress/" + id, progress_body(id, 1));
                if (r.status == 200) ++accepted;
                if (r.status == 429) ++refused;
            }
        });
    }
    for (auto& t : threads) t.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_EQ(accepted + refused, clients * per_client);
    // The default burst of 200 new ids and 2 a second after it.
    EXPECT_LE(accepted.load(), 200 + static_cast<int>(2 * seconds) + 1) << seconds << " s";
    EXPECT_GE(accepted.load(), 200);
    const auto r = request(verb::post, "/api/progress/one-more", progress_body("one-more", 1));
    EXPECT_EQ(r.status, 429u);
    EXPECT_FALSE(r.header("Retry-After").empty());
    EXPECT_NE(r.body.find("new sessions per second"), std::string::npos) << r.body;
    // Sessions it did start keep working.
    EXPECT_EQ(request(verb::post, "/api/progress/fresh-0-0", progress_body("fresh-0-0", 2)).status,
              200u);
}

TEST_F(rate_limits_test, ipv6_clients_of_one_64_share_their_buckets) {
    start({"--write-rate", "1", "--write-burst", "1", "--trust-proxy", "127.0.0.1"});
    const auto post_from = [&](const std::string& address, const std::string& id) {
        return request(verb::post, "/api/progress/" + id, progress_body(id, 1),
                       {{"X-Forwarded-For", address}})
            .status;
    };
    EXPECT_EQ(post_from("2001:db8:1:2::1", "a"), 200u);
    // Another address of the same /64 is the same subscriber: no fresh bucket for it.
    EXPECT_EQ(post_from("2001:db8:1:2:ffff::9", "b"), 429u);
    EXPECT_EQ(post_from("2001:db8:1:3::1", "c"), 200u);
    EXPECT_EQ(post_from("192.0.2.1", "d"), 200u);
    EXPECT_EQ(post_from("192.0.2.2", "e"), 200u);
}

TEST_F(rate_limits_test, forwarding_headers_from_a_local_peer_without_trust_proxy_are_named_once) {
    start_with_default_limits();
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(
            request(verb::get, "/api/progress/x", {}, {{"X-Forwarded-For", "203.0.113.9"}}).status,
            404u);
        EXPECT_EQ(
            request(verb::get, "/api/progress/x", {}, {{"Forwarded", "for=203.0.113.9"}}).status,
            404u);
    }
    server_->terminate();
    const std::string log = server_->log();
    const auto first = log.find("no --trust-proxy is set");
    ASSERT_NE(first, std::string::npos) << log;
    EXPECT_EQ(log.find("no --trust-proxy is set", first + 1), std::string::npos) << log;
    EXPECT_NE(log.find("--trust-proxy 127.0.0.1"), std::string::npos) << log;
}

TEST_F(rate_limits_test, forwarding_headers_stay_quiet_with_trust_proxy_or_without_them) {
    start_with_default_limits({"--trust-proxy", "10.0.0.0/8"});
    request(verb::get, "/api/progress/x", {}, {{"X-Forwarded-For", "203.0.113.9"}});
    server_->terminate();
    EXPECT_EQ(server_->log().find("no --trust-proxy is set"), std::string::npos);
    start_with_default_limits();
    request(verb::get, "/api/progress/x");
    server_->terminate();
    EXPECT_EQ(server_->log().find("no --trust-proxy is set"), std::string::npos);
}

}  // namespace
}  // namespace progressd::testing
