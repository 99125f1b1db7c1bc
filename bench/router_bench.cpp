// Router overhead: a routed complete() to a trivial provider vs the same call
// made directly on the instance; and the added latency of a request whose
// primary's breaker is open (skip + fall back) vs a direct call to the fallback.
#include <benchmark/benchmark.h>

#include "routing/router.h"
#include "support/plugin_dir.h"
#include "util/log.h"

namespace {

using namespace autoarr;
using namespace std::chrono_literals;

struct Fixture {
    test::TempDir dir;
    plugin::PluginRegistry registry;
    Fixture() {
        log::set_threshold(log::Level::error);
        test::install_fixture(dir.path(), "a", "fixture_script_a", "script-a");
        test::install_fixture(dir.path(), "b", "fixture_script_b", "script-b");
        registry = plugin::PluginRegistry::discover({{dir.path(), "bench"}});
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

const std::string kRequest = R"({"messages":[{"role":"user","content":"hi"}]})";

void BM_DirectInstanceCall(benchmark::State& state) {
    static std::unique_ptr<plugin::Instance> inst = [] {
        plugin::CallStatus st;
        return plugin::Instance::create(fixture().registry.find("script-b"), "{}", st);
    }();
    for (auto _ : state) {
        plugin::CallContext ctx(plugin::monotonic_now_ns() + 1'000'000'000);
        std::string out;
        benchmark::DoNotOptimize(inst->complete(ctx, kRequest, out));
    }
}
BENCHMARK(BM_DirectInstanceCall)->Threads(1)->Threads(2)->UseRealTime();

void BM_RoutedCall(benchmark::State& state) {
    static auto router = [] {
        routing::RouterOptions o;
        o.order = {"script-b"};
        return std::make_unique<routing::Router>(
            std::vector<routing::ProviderSpec>{{fixture().registry.find("script-b"), "{}", {}}}, o);
    }();
    routing::RouteRequest req;
    req.request_json = kRequest;
    for (auto _ : state) benchmark::DoNotOptimize(router->complete(req));
}
BENCHMARK(BM_RoutedCall)->Threads(1)->Threads(2)->UseRealTime();

void BM_RoutedCallPrimaryBreakerOpen(benchmark::State& state) {
    static auto router = [] {
        routing::RouterOptions o;
        o.order = {"script-a", "script-b"};
        o.retry.max_retries = 0;
        o.breaker = routing::BreakerConfig{1, 3600s, 3600s, 1};
        auto r = std::make_unique<routing::Router>(
            std::vector<routing::ProviderSpec>{
                {fixture().registry.find("script-a"), R"({"always_fail":true,"retryable":false})", {}},
                {fixture().registry.find("script-b"), "{}", {}}},
            o);
        routing::RouteRequest req;
        req.request_json = kRequest;
        r->complete(req);  // the one failure opens the primary's breaker
        return r;
    }();
    routing::RouteRequest req;
    req.request_json = kRequest;
    for (auto _ : state) {
        auto res = router->complete(req);
        if (res.provider != "script-b" || res.attempts.size() != 2) state.SkipWithError("unexpected routing");
    }
}
BENCHMARK(BM_RoutedCallPrimaryBreakerOpen)->Threads(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
