// Two progressd instances on one Upstash-compatible REST endpoint (over a real redis-server):
// the REST API cannot push writes to other instances, so each polls what its watchers follow.
#include "e2e/e2e_support.hpp"
#include "support/redis_server.hpp"
#include "support/sse_client.hpp"
#include "support/upstash_endpoint.hpp"

#include <fstream>

namespace progressd::testing {
namespace {

using namespace std::chrono_literals;

TEST(kv_rest_e2e_test, a_watcher_on_one_instance_sees_writes_made_to_another_within_seconds) {
    redis_server redis;
    upstash_endpoint rest(redis, "secret-token");
    temp_dir dir;
    const std::string env = dir.path() + "/kv.env";
    std::ofstream(env) << "KV_REST_API_URL=" << rest.url() << "\nKV_REST_API_TOKEN=secret-token\n";
    server_process a({"--env-file", env});
    server_process b({"--env-file", env});
    ASSERT_NE(a.log().find("store kv-rest:"), std::string::npos) << a.log();

    sse_client watcher(b.port(), "/api/progress/x/events");
    ASSERT_EQ(watcher.status(), 200);
    ASSERT_EQ(watcher.next()->name, "waiting");

    cli::http_client to_a(a.base_url());
    ASSERT_EQ(to_a.request(verb::post, "/api/progress/x", progress_body("x", 1)).status, 200u);
    auto e = watcher.next(3s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->name, "progress");
    EXPECT_EQ(e->data, progress_body("x", 1));

    ASSERT_EQ(to_a.request(verb::post, "/api/progress/x/log", log_body(1)).status, 200u);
    ASSERT_EQ(to_a.request(verb::post, "/api/progress/x/log", log_body(2)).status, 200u);
    e = watcher.next(3s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->name, "log");
    EXPECT_EQ(e->data, log_body(1));
    e = watcher.next(3s);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, log_body(2));
    EXPECT_EQ(e->id, "1-2");
}

}  // namespace
}  // namespace progressd::testing
