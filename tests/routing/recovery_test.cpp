// A provider that was down comes back, over real sockets: the real Ollama
// plugin against a fixture Ollama that starts listening after the host
// (docs/routing.md, "Recovery" and "Last resort").
#include <gtest/gtest.h>

#include <thread>

#include "routing/health_monitor.h"
#include "routing/router.h"
#include "support/provider_harness.h"
#include "util/log.h"

namespace autoarr::routing {
namespace {

using namespace std::chrono_literals;
using test::FixtureResponse;
using test::FixtureServer;
using test::ReceivedRequest;
using Steady = std::chrono::steady_clock;

const test::ManifestFixtures& fixtures() {
    static const test::ManifestFixtures f("ollama");
    return f;
}

// A loopback port with nothing listening on it (a server held it a moment ago).
uint16_t closed_port() {
    FixtureServer probe;
    return probe.port();
}

std::unique_ptr<Router> ollama_router(uint16_t port, RouterOptions options = {}) {
    auto ollama = test::builtin_plugin("ollama");
    EXPECT_NE(ollama, nullptr) << "the ollama plugin did not load from " AUTOARR_BUILTIN_PLUGIN_DIR;
    options.order = {"ollama"};
    const std::string config = R"({"url":"http://127.0.0.1:)" + std::to_string(port) + R"(","model":"llama3.2"})";
    return std::make_unique<Router>(std::vector<ProviderSpec>{{ollama, config, {}}}, std::move(options));
}

bool wait_for_state(Router& r, ProviderState want, std::chrono::milliseconds limit) {
    const auto until = Steady::now() + limit;
    while (r.providers()[0].state != want) {
        if (Steady::now() >= until) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

RouteResult chat(Router& r) {
    RouteRequest req;
    req.request_json = test::chat_request("hi");
    req.deadline = 10s;
    return r.complete(req);
}

std::size_t chat_calls(const FixtureServer& s) {
    std::size_t n = 0;
    for (const auto& q : s.requests()) n += q.target == "/api/chat";
    return n;
}

class RecoveryTest : public ::testing::Test {
protected:
    void SetUp() override { log::set_threshold(log::Level::error); }
};

// The host starts first; Ollama comes up a moment later. With the normal
// 30 s interval the next check would be 24-36 s away; the re-check of an
// unhealthy provider starts near 1 s.
TEST_F(RecoveryTest, AProviderDownAtStartIsHealthyWithinTwoSecondsOfComingUp) {
    const uint16_t port = closed_port();
    auto router = ollama_router(port);
    HealthMonitor monitor(*router, 30s);
    ASSERT_TRUE(wait_for_state(*router, ProviderState::unhealthy, 5s)) << router->providers()[0].reason;

    FixtureServer ollama(std::nullopt, port);
    ollama.on("GET", "/api/tags", [](const ReceivedRequest&) { return fixtures().response("tags.json"); });
    const auto up = Steady::now();
    ASSERT_TRUE(wait_for_state(*router, ProviderState::healthy, 5s)) << router->providers()[0].reason;
    EXPECT_LE(Steady::now() - up, 2s);
    EXPECT_FALSE(router->providers()[0].models.empty());
}

// Every provider in the order failed its last health check (here the only
// one: its /api/tags answers 500), but its chat works. The request is tried
// on it as a last resort instead of being refused without a call.
TEST_F(RecoveryTest, WhenEveryProviderIsUnhealthyTheFirstIsStillTried) {
    FixtureServer ollama;
    ollama.on("GET", "/api/tags", [](const ReceivedRequest&) {
        FixtureResponse r;
        r.status = 500;
        r.body = R"({"error":"loading"})";
        return r;
    });
    ollama.on("POST", "/api/chat", [](const ReceivedRequest&) { return fixtures().response("chat_nonstream.json"); });
    auto router = ollama_router(ollama.port());
    router->check_health();
    ASSERT_EQ(router->providers()[0].state, ProviderState::unhealthy);

    auto res = chat(*router);
    ASSERT_TRUE(res.status.ok()) << res.status.message;
    EXPECT_EQ(res.provider, "ollama");
    EXPECT_EQ(chat_calls(ollama), 1u);
    ASSERT_EQ(res.attempts.size(), 2u);
    EXPECT_EQ(res.attempts[0].outcome, "skipped");
    EXPECT_NE(res.attempts[0].reason.find("tried as a last resort"), std::string::npos) << res.attempts[0].reason;
    EXPECT_EQ(res.attempts[1].outcome, "ok");
    EXPECT_EQ(router->providers()[0].state, ProviderState::healthy);  // a served call is proof of life
}

// The last resort is not a loophole around the breaker: once real calls
// opened it, an unhealthy provider gets no call at all.
TEST_F(RecoveryTest, NoLastResortCallWhileTheBreakerIsOpen) {
    FixtureServer ollama;
    auto fail = [](const ReceivedRequest&) {
        FixtureResponse r;
        r.status = 500;
        r.body = R"({"error":"model runner crashed"})";
        return r;
    };
    ollama.on("GET", "/api/tags", fail);
    ollama.on("POST", "/api/chat", fail);
    RouterOptions o;
    o.retry.max_retries = 0;
    o.breaker = BreakerConfig{1, 60s, 60s, 1};  // the first failure opens it for a minute
    auto router = ollama_router(ollama.port(), o);
    router->check_health();
    ASSERT_EQ(router->providers()[0].state, ProviderState::unhealthy);

    auto first = chat(*router);  // the last resort: one real call, which fails and opens the breaker
    EXPECT_FALSE(first.status.ok());
    EXPECT_EQ(chat_calls(ollama), 1u);
    EXPECT_EQ(router->providers()[0].breaker, "open");

    auto second = chat(*router);
    EXPECT_EQ(second.status.code, AUTOARR_ERR_UNAVAILABLE);
    EXPECT_EQ(chat_calls(ollama), 1u);  // no call
    ASSERT_EQ(second.attempts.size(), 1u);
    EXPECT_EQ(second.attempts[0].outcome, "skipped");
}

TEST(RecheckDelayTest, StartsAtTheRecheckDelayAndDoublesUpToTheInterval) {
    EXPECT_EQ(HealthMonitor::recheck_delay(0, 1s, 30s), 30s);  // healthy: the normal interval
    EXPECT_EQ(HealthMonitor::recheck_delay(1, 1s, 30s), 1s);
    EXPECT_EQ(HealthMonitor::recheck_delay(2, 1s, 30s), 2s);
    EXPECT_EQ(HealthMonitor::recheck_delay(5, 1s, 30s), 16s);
    EXPECT_EQ(HealthMonitor::recheck_delay(6, 1s, 30s), 30s);
    EXPECT_EQ(HealthMonitor::recheck_delay(1000, 1s, 30s), 30s);
    EXPECT_EQ(HealthMonitor::recheck_delay(1, 1s, 200ms), 200ms);  // never beyond the interval
}

}  // namespace
}  // namespace autoarr::routing
