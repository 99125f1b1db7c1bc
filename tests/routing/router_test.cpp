// The router against two real scriptable provider plugins (script-a is the
// primary, script-b the fallback). Time-dependent behaviour runs on a
// virtual clock, so "waits 7 s" is checked exactly and instantly.
#include "routing/router.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "routing/health_monitor.h"
#include "support/plugin_dir.h"
#include "util/log.h"

namespace autoarr::routing {
namespace {

using namespace std::chrono_literals;

class RouterTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        log::set_threshold(log::Level::error);
        dir_ = new test::TempDir();
        test::install_fixture(dir_->path(), "a", "fixture_script_a", "script-a");
        test::install_fixture(dir_->path(), "b", "fixture_script_b", "script-b");
        registry_ = new plugin::PluginRegistry(plugin::PluginRegistry::discover({{dir_->path(), "test"}}));
        ASSERT_EQ(registry_->loaded().size(), 2u);
    }
    static void TearDownTestSuite() {
        delete registry_;
        delete dir_;
    }

    std::unique_ptr<Router> make(const std::string& a_config, const std::string& b_config = "{}",
                                 RouterOptions options = {}) {
        if (options.order.empty()) options.order = {"script-a", "script-b"};
        return std::make_unique<Router>(std::vector<ProviderSpec>{{registry_->find("script-a"), a_config, {}},
                                                                  {registry_->find("script-b"), b_config, {}}},
                                        std::move(options), clock_);
    }

    RouteResult complete(Router& r, std::optional<std::string> provider = std::nullopt) {
        RouteRequest req;
        req.request_json = R"({"messages":[{"role":"user","content":"hi"}]})";
        req.provider = std::move(provider);
        return r.complete(req);
    }

    std::shared_ptr<VirtualClock> clock_ = std::make_shared<VirtualClock>();
    static inline test::TempDir* dir_ = nullptr;
    static inline plugin::PluginRegistry* registry_ = nullptr;
};

// Calls a provider made, by outcome. Each attempt is one real call into the
// plugin; the plugin's own counter (list_models {"calls": n}) is checked
// against these in CallCountsMatchThePluginsOwnCounter.
int64_t count(const RouteResult& r, const std::string& id, const std::string& outcome) {
    int64_t n = 0;
    for (const auto& a : r.attempts) n += a.provider == id && a.outcome == outcome;
    return n;
}

TEST_F(RouterTest, HealthyPrimaryServes) {
    auto r = make("{}");
    auto res = complete(*r);
    ASSERT_TRUE(res.status.ok()) << res.status.message;
    EXPECT_EQ(res.provider, "script-a");
    EXPECT_NE(res.response_json.find("\"content\":\"script-a\""), std::string::npos);
    ASSERT_EQ(res.attempts.size(), 1u);
    EXPECT_EQ(res.attempts[0].outcome, "ok");
}

TEST_F(RouterTest, PrimaryDownFallsBackAndOpenBreakerCostsNoFurtherAttempt) {
    auto r = make(R"({"always_fail":true,"fail_code":"UNAVAILABLE"})");
    auto first = complete(*r);
    ASSERT_TRUE(first.status.ok());
    EXPECT_EQ(first.provider, "script-b");
    EXPECT_EQ(count(first, "script-a", "error"), 3);  // 1 + 2 retries

    auto second = complete(*r);
    ASSERT_TRUE(second.status.ok());
    EXPECT_EQ(second.provider, "script-b");
    EXPECT_EQ(count(second, "script-a", "error"), 0);
    EXPECT_EQ(count(second, "script-a", "skipped"), 1);
    EXPECT_NE(second.attempts[0].reason.find("circuit open"), std::string::npos) << second.attempts[0].reason;
}

TEST_F(RouterTest, FallbackDisabledTriesOnlyThePrimaryAndNamesIt) {
    RouterOptions o;
    o.fallback_enabled = false;
    auto r = make(R"({"always_fail":true,"retryable":false})", "{}", o);
    auto res = complete(*r);
    EXPECT_FALSE(res.status.ok());
    EXPECT_EQ(res.status.message.rfind("script-a: ", 0), 0u) << res.status.message;
    EXPECT_EQ(count(res, "script-b", "ok"), 0);
    EXPECT_EQ(res.attempts.size(), 1u);
}

TEST_F(RouterTest, UnknownProviderNamesAreErrors) {
    RouterOptions o;
    o.order = {"ollama-typo", "script-b"};
    Router r({{registry_->find("script-a"), "{}", {}}}, o, clock_);
    EXPECT_NE(r.error().find("unknown provider \"ollama-typo\""), std::string::npos) << r.error();
    auto ok = make("{}");
    auto res = complete(*ok, "nope");
    EXPECT_EQ(res.status.code, AUTOARR_ERR_INVALID_ARGUMENT);
    EXPECT_NE(res.status.message.find("\"nope\""), std::string::npos);
}

TEST_F(RouterTest, ExplicitChoiceGoesFirst) {
    auto r = make("{}");
    EXPECT_EQ(r->order_for(std::string("script-b")), (std::vector<std::string>{"script-b", "script-a"}));
    auto res = complete(*r, "script-b");
    EXPECT_EQ(res.provider, "script-b");
}

TEST_F(RouterTest, RateLimitThenSuccessIsExactlyTwoCalls) {
    auto r = make(R"({"fail_times":1,"fail_code":"RATE_LIMITED"})");
    auto res = complete(*r);
    ASSERT_TRUE(res.status.ok());
    EXPECT_EQ(res.provider, "script-a");
    EXPECT_EQ(count(res, "script-a", "error"), 1);
    EXPECT_EQ(count(res, "script-a", "ok"), 1);
}

TEST_F(RouterTest, AlwaysRateLimitedMakesThreeCallsAndNoSleepAfterTheLast) {
    RouterOptions o;
    o.fallback_enabled = false;
    auto r = make(R"({"always_fail":true,"fail_code":"RATE_LIMITED"})", "{}", o);
    auto t0 = clock_->now();
    auto res = complete(*r);
    auto slept = clock_->now() - t0;
    EXPECT_EQ(res.status.code, AUTOARR_ERR_RATE_LIMITED);
    EXPECT_EQ(count(res, "script-a", "error"), 3);
    // Two backoffs: [375, 500] ms + [750, 1000] ms; a third sleep would add >= 1.5 s.
    EXPECT_GE(slept, 1125ms);
    EXPECT_LE(slept, 1500ms);
}

TEST_F(RouterTest, RetryAfterIsHonouredAndCapped) {
    auto r = make(R"({"fail_times":1,"fail_code":"RATE_LIMITED","retry_after_ms":7000})");
    auto t0 = clock_->now();
    ASSERT_TRUE(complete(*r).status.ok());
    EXPECT_EQ(clock_->now() - t0, 7000ms);

    auto capped = make(R"({"fail_times":1,"fail_code":"RATE_LIMITED","retry_after_ms":3600000})");
    t0 = clock_->now();
    ASSERT_TRUE(complete(*capped).status.ok());
    EXPECT_EQ(clock_->now() - t0, 60000ms);
}

TEST_F(RouterTest, AuthFailureIsNotRetriedAndMarksUnhealthy) {
    auto r = make(R"({"always_fail":true,"fail_code":"AUTH_FAILED","retryable":false})");
    auto res = complete(*r);
    ASSERT_TRUE(res.status.ok());
    EXPECT_EQ(res.provider, "script-b");
    EXPECT_EQ(count(res, "script-a", "error"), 1);
    auto views = r->providers();
    ASSERT_EQ(views[0].id, "script-a");
    EXPECT_EQ(views[0].state, ProviderState::unhealthy);
    EXPECT_NE(views[0].reason.find("AUTH_FAILED"), std::string::npos);
}

TEST_F(RouterTest, InvalidArgumentIsNotRetried) {
    RouterOptions o;
    o.fallback_enabled = false;
    auto r = make(R"({"always_fail":true,"fail_code":"INVALID_ARGUMENT","retryable":false})", "{}", o);
    auto res = complete(*r);
    EXPECT_EQ(res.status.code, AUTOARR_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(res.attempts.size(), 1u);
}

TEST_F(RouterTest, DeadlineSpansAttempts) {
    RouterOptions o;
    o.fallback_enabled = false;
    auto r = make(R"({"always_fail":true,"fail_code":"RATE_LIMITED","retry_after_ms":7000})", "{}", o);
    RouteRequest req;
    req.request_json = "{}";
    req.deadline = 10s;
    auto t0 = clock_->now();
    auto res = r->complete(req);
    // Attempt at 0 s, retry at 7 s; the next would be at 14 s, past the 10 s deadline.
    EXPECT_EQ(count(res, "script-a", "error"), 2);
    EXPECT_EQ(clock_->now() - t0, 7000ms);
    EXPECT_FALSE(res.status.ok());
}

TEST_F(RouterTest, HangIsCancelledAtTheDeadline) {
    RouterOptions o;
    o.order = {"script-a", "script-b"};
    Router r({{registry_->find("script-a"), R"({"hang":true})", {}}, {registry_->find("script-b"), "{}", {}}}, o);
    RouteRequest req;
    req.request_json = "{}";
    req.deadline = 200ms;
    auto t0 = std::chrono::steady_clock::now();
    auto res = r.complete(req);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(res.status.code, AUTOARR_ERR_DEADLINE_EXCEEDED);
    EXPECT_GE(took, 190ms);
    EXPECT_LT(took, 2s);
}

TEST_F(RouterTest, HangIsCancelledByTheCaller) {
    RouterOptions o;
    o.order = {"script-a"};
    Router r({{registry_->find("script-a"), R"({"hang":true})", {}}}, o);
    plugin::CancelToken token;
    RouteRequest req;
    req.request_json = "{}";
    req.cancel = &token;
    std::thread canceller([&] {
        std::this_thread::sleep_for(50ms);
        token.cancel();
    });
    auto res = r.complete(req);
    canceller.join();
    EXPECT_EQ(res.status.code, AUTOARR_ERR_CANCELLED);
}

TEST_F(RouterTest, StreamFailingAfterFirstTokenIsAnErrorNotAFallback) {
    auto r = make(R"({"stream_tokens":5,"stream_fail_after":2})");
    std::string text;
    RouteRequest req;
    req.request_json = "{}";
    auto res = r->stream(req, [&](uint32_t kind, std::string_view d) {
        if (kind == AUTOARR_EVENT_TEXT_DELTA) text += d;
        return true;
    });
    EXPECT_EQ(res.status.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_TRUE(res.partial);
    EXPECT_EQ(res.provider, "script-a");
    EXPECT_EQ(text, "t0 t1 ");
    EXPECT_EQ(count(res, "script-b", "ok"), 0);
    EXPECT_EQ(res.attempts.size(), 1u);  // retryable, but never retried after output
}

TEST_F(RouterTest, StreamFailingBeforeFirstTokenFallsBack) {
    auto r = make(R"({"always_fail":true,"retryable":false})");
    std::string text;
    RouteRequest req;
    req.request_json = "{}";
    auto res = r->stream(req, [&](uint32_t kind, std::string_view d) {
        if (kind == AUTOARR_EVENT_TEXT_DELTA) text += d;
        return true;
    });
    ASSERT_TRUE(res.status.ok()) << res.status.message;
    EXPECT_EQ(res.provider, "script-b");
    EXPECT_EQ(text, "t0 t1 t2 ");
}

TEST_F(RouterTest, HundredsOfConcurrentRequests) {
    auto r = make(R"({"fail_times":50,"fail_code":"UNAVAILABLE","retryable":false})");
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i)
                if (complete(*r).status.ok()) ++ok;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 400);
}

TEST_F(RouterTest, CallCountsMatchThePluginsOwnCounter) {
    auto r = make(R"({"fail_times":2,"fail_code":"RATE_LIMITED"})");
    auto res = complete(*r);
    ASSERT_TRUE(res.status.ok());
    std::string a, b;
    ASSERT_TRUE(r->list_models("script-a", a).ok());
    ASSERT_TRUE(r->list_models("script-b", b).ok());
    EXPECT_EQ(a, R"({"calls":3})");
    EXPECT_EQ(b, R"({"calls":0})");
    EXPECT_EQ(count(res, "script-a", "error") + count(res, "script-a", "ok"), 3);
}

// The monitor rewrites provider state while requests read it: a regression
// test for a race TSan found (attempt records read a reason after unlocking).
TEST_F(RouterTest, HealthChecksDuringConcurrentRoutingAreRaceFree) {
    RouterOptions o;
    o.order = {"script-a", "script-b"};
    o.retry.max_retries = 0;
    o.breaker = BreakerConfig{1000000, 1ms, 1ms, 1};  // keep routing to the failing primary
    Router r(
        {{registry_->find("script-a"), R"({"always_fail":true,"retryable":false,"fail_code":"BACKEND_ERROR"})", {}},
         {registry_->find("script-b"), "{}", {}}},
        o);
    std::atomic<int> ok{0};
    {
        HealthMonitor monitor(r, 1ms);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < 200; ++i) {
                    RouteRequest req;
                    req.request_json = "{}";
                    auto res = r.complete(req);
                    if (res.status.ok() && !res.attempts.empty()) ++ok;
                    (void)r.providers();
                }
            });
        for (auto& t : threads) t.join();
    }
    EXPECT_EQ(ok.load(), 800);
}

TEST_F(RouterTest, ProvidersViewIsInRoutingOrder) {
    auto r = make("{}");
    r->check_health();
    auto v = r->providers();
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0].id, "script-a");
    EXPECT_EQ(v[0].state, ProviderState::healthy);
    EXPECT_EQ(v[0].breaker, "closed");
}

TEST_F(RouterTest, HealthMonitorChecksOnAJitteredIntervalAndSeesRecovery) {
    RouterOptions o;
    o.order = {"script-a"};
    Router r({{registry_->find("script-a"), R"({"healthy_after_ms":150})", {}}}, o);
    r.check_health();
    EXPECT_EQ(r.providers()[0].state, ProviderState::unhealthy);
    EXPECT_NE(r.providers()[0].reason.find("not up yet"), std::string::npos);
    {
        HealthMonitor monitor(r, 20ms);
        auto until = std::chrono::steady_clock::now() + 3s;
        while (r.providers()[0].state != ProviderState::healthy && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(5ms);
        EXPECT_GE(monitor.rounds(), 2);
    }
    auto v = r.providers()[0];
    EXPECT_EQ(v.state, ProviderState::healthy);
    EXPECT_EQ(v.models, (std::vector<std::string>{"script-model"}));
    EXPECT_GE(v.latency_ms, 0);
}

TEST_F(RouterTest, StateTransitionsAreReportedOnce) {
    RouterOptions o;
    o.order = {"script-a"};
    Router r({{registry_->find("script-a"), R"({"healthy_after_ms":100})", {}}}, o);
    std::vector<std::string> seen;
    r.set_state_listener([&](const std::string& id, ProviderState s, const std::string&) {
        seen.push_back(id + ":" + std::string(state_name(s)));
    });
    r.check_health();
    r.check_health();  // still unhealthy: no new transition
    std::this_thread::sleep_for(150ms);
    r.check_health();
    EXPECT_EQ(seen, (std::vector<std::string>{"script-a:unhealthy", "script-a:healthy"}));
}

TEST_F(RouterTest, BreakerHalfOpensAndClosesThroughTheRouter) {
    RouterOptions o;
    o.fallback_enabled = false;
    o.breaker = BreakerConfig{1, 1000ms, 60000ms, 1};
    o.retry.max_retries = 0;
    auto r = make(R"({"fail_times":1,"fail_code":"UNAVAILABLE"})", "{}", o);
    EXPECT_FALSE(complete(*r).status.ok());  // opens
    EXPECT_EQ(r->providers()[0].breaker, "open");
    auto skipped = complete(*r);
    EXPECT_EQ(count(skipped, "script-a", "skipped"), 1);
    clock_->advance(1000ms);
    EXPECT_EQ(r->providers()[0].breaker, "half-open");
    auto probe = complete(*r);  // the probe succeeds: closed again
    EXPECT_TRUE(probe.status.ok());
    EXPECT_EQ(r->providers()[0].breaker, "closed");
}

}  // namespace
}  // namespace autoarr::routing
