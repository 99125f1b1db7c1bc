// The sample stack's 91 findings explained through the real Ollama plugin and
// an Ollama that behaves like one on home hardware (tests/support/ollama_sim.h:
// a 4k window unless num_ctx says otherwise, one request at a time, prompt
// and generation token rates, a KV cache, a reload when num_ctx changes).
//
// Two profiles: GPU-like (1 800 prompt tokens/s, 55 generated tokens/s) and
// CPU-like (45 and 8). The simulated model runs `--scale` times faster than
// real time so a run takes seconds, and every time below is reported in the
// model's time (measured wall time x scale). The host's own work is then also
// multiplied by the scale, so the reported times are upper bounds.
//
// Reports: time to the first explanation, to every critical and every high
// finding, and to all; explained within the CLI's default deadline (180 s);
// prompt tokens per finding; truncated prompts; the generation time against
// the model-bound limit (explanation tokens / generation rate); and the
// cached re-audit's time and model calls.
//
// Usage: bench_enrichment [--scale N] [--profile gpu|cpu|both]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "audit/audit_run.h"
#include "connectors/stack.h"
#include "support/ollama_sim.h"
#include "support/provider_harness.h"
#include "support/temp_dir.h"
#include "util/log.h"

namespace {

using namespace autoarr;
using Clock = std::chrono::steady_clock;

struct Profile {
    const char* name;
    double prompt_rate, gen_rate;
};

double secs(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

void run(const Profile& p, double scale) {
    test::OllamaSimProfile sp;
    sp.model_max_context = 32768;  // qwen2.5:7b; the plugin asks for its default num_ctx
    sp.server_default_num_ctx = 4096;
    sp.prompt_tokens_per_s = p.prompt_rate;
    sp.generated_tokens_per_s = p.gen_rate;
    sp.reload_s = 3;
    sp.time_scale = scale;
    test::OllamaSim sim(sp);
    routing::RouterOptions o;
    o.order = {"ollama"};
    routing::Router router(
        {{test::builtin_plugin("ollama"), R"({"url":")" + sim.url() + R"(","model":"qwen2.5:7b"})", {}}}, o);
    const auto& rules = *new audit::RuleSet(audit::load_rules(audit::installed_rules_path()));
    auto stack = connectors::read_stack_dir(AUTOARR_SAMPLE_STACK);
    test::TempDir dir;
    store::Store cache((dir.path() / "bench.db").string());

    std::map<std::string, std::string> severity;
    int critical = 0, high = 0;
    std::optional<double> first, all_critical, all_high, at_deadline_explained;
    const auto deadline = std::chrono::duration<double>(180.0 / scale);
    int explained_at_deadline = -1;
    audit::AuditOptions opts;
    opts.today = "2026-11-25";
    opts.explain.cache = &cache;
    opts.explain.deadline = std::chrono::hours(2);  // the service's background run: to the end
    Clock::time_point start;
    int crit_done = 0, high_done = 0;
    opts.explain.on_progress = [&](const audit::EnrichmentProgress& pr) {
        const double t = secs(Clock::now() - start) * scale;
        if (!first && pr.stats.explained > 0) first = t;
        for (const auto& id : pr.just_explained) {
            if (severity[id] == "critical") ++crit_done;
            if (severity[id] == "high") ++high_done;
        }
        if (!all_critical && crit_done == critical) all_critical = t;
        if (!all_high && high_done == high) all_high = t;
        if (Clock::now() - start <= deadline) explained_at_deadline = pr.stats.explained;
    };
    auto prepared = audit::rules_audit(stack, rules, &router, opts);
    for (const auto& f : prepared.findings) {
        severity[f.rule.id] = f.rule.severity;
        critical += f.rule.severity == "critical";
        high += f.rule.severity == "high";
    }
    start = Clock::now();
    audit::enrich_audit(prepared, rules, router, opts);
    const double total = secs(Clock::now() - start) * scale;

    int64_t prompt_tokens = 0, fresh_tokens = 0, generated = 0;
    int truncated = 0;
    const auto chats = sim.chats();
    for (const auto& c : chats) {
        prompt_tokens += c.evaluated_tokens;
        fresh_tokens += c.evaluated_tokens - c.cached_tokens;
        generated += c.generated_tokens;
        truncated += c.truncated;
    }
    const int n = prepared.enrichment.total;
    const double model_bound = static_cast<double>(generated) / p.gen_rate;

    // The re-audit of the unchanged stack: the cache answers.
    const auto calls_before = chats.size();
    auto t0 = Clock::now();
    auto again = audit::run_audit(stack, rules, &router, opts);
    const double cached_ms = secs(Clock::now() - t0) * 1000;  // real time: no model involved

    std::printf("\n== %s-like: %.0f prompt tokens/s, %.0f generated tokens/s (simulated %gx faster)\n", p.name,
                p.prompt_rate, p.gen_rate, scale);
    std::printf("  findings %d (critical %d, high %d), batches %d, model calls %d, num_ctx %lld\n", n, critical, high,
                prepared.enrichment.batches, prepared.enrichment.model_calls,
                static_cast<long long>(chats.empty() ? 0 : chats.front().num_ctx));
    std::printf("  first explanation      %8.1f s\n", first.value_or(-1));
    std::printf("  all critical explained %8.1f s\n", all_critical.value_or(-1));
    std::printf("  all high explained     %8.1f s\n", all_high.value_or(-1));
    std::printf("  all explained          %8.1f s  (%d of %d, state %s)\n", total, prepared.enrichment.explained, n,
                prepared.enrichment.state.c_str());
    std::printf("  explained within 180 s %8d of %d (%.0f %%)\n", explained_at_deadline, n,
                100.0 * explained_at_deadline / n);
    std::printf("  prompt tokens/finding  %8.0f read, %.0f newly evaluated (KV cache)\n",
                static_cast<double>(prompt_tokens) / n, static_cast<double>(fresh_tokens) / n);
    std::printf("  truncated prompts      %8d\n", truncated);
    std::printf("  generation             %8lld tokens; model-bound %.1f s; ratio %.2f\n",
                static_cast<long long>(generated), model_bound, model_bound / total);
    std::printf("  cached re-audit        %8.1f ms, model calls %zu, explained %d from the cache\n", cached_ms,
                sim.chats().size() - calls_before, again.enrichment.cached);
}

}  // namespace

int main(int argc, char** argv) {
    log::set_threshold(log::Level::error);
    double scale = 20;
    std::string which = "both";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--scale")) scale = std::atof(argv[i + 1]);
        if (!std::strcmp(argv[i], "--profile")) which = argv[i + 1];
    }
    if (!(scale >= 1)) {
        std::fprintf(stderr, "bench_enrichment: --scale must be at least 1\n");
        return 2;
    }
    if (which == "gpu" || which == "both") run({"GPU", 1800, 55}, scale);
    if (which == "cpu" || which == "both") run({"CPU", 45, 8}, scale);
    return 0;
}
