// Rule evaluation time for the full catalog on the misconfigured sample stack.
// (The end-to-end command is measured with hyperfine and /usr/bin/time; see
// docs/benchmarks.md.)
#include <benchmark/benchmark.h>

#include "audit/engine.h"
#include "connectors/stack.h"

namespace {

using namespace autoarr;

void BM_EvaluateCatalog(benchmark::State& state) {
    static const audit::RuleSet rules = audit::load_rules(audit::installed_rules_path());
    static const connectors::Stack stack = connectors::read_stack_dir(AUTOARR_SAMPLE_STACK);
    std::size_t n = 0;
    for (auto _ : state) n = audit::evaluate_rules(rules, stack.documents, "2026-11-25").size();
    if (n != 91) state.SkipWithError("expected 91 findings");
    state.counters["rules"] = static_cast<double>(rules.rules.size());
    state.counters["findings"] = static_cast<double>(n);
}
BENCHMARK(BM_EvaluateCatalog)->Unit(benchmark::kMicrosecond);

void BM_LoadRuleFile(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(audit::load_rules(audit::installed_rules_path()));
}
BENCHMARK(BM_LoadRuleFile)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
