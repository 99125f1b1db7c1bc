#include "audit/audit_run.h"

#include <autoarr/setting_variable.hpp>
#include <chrono>
#include <ctime>
#include <random>

#include "audit/redact.h"
#include "util/utc_time.h"

namespace autoarr::audit {
namespace json = boost::json;

namespace {

std::string utc(const char* fmt) {
    return util::format_utc(std::chrono::system_clock::now(), fmt);
}

// How to enable each provider that is actually loaded (the one asked for,
// when the audit named one), in routing order: never a provider that is not there.
std::string enable_hint(const routing::Router& router, const std::optional<std::string>& only) {
    std::string out;
    for (const auto& id : router.order_for(only)) {
        if (only && id != *only) continue;
        std::string how;
        if (id == "ollama")
            how = "start Ollama (OLLAMA_URL, default http://127.0.0.1:11434) with the model in OLLAMA_MODEL pulled";
        else if (id == "claude")
            how = "set CLAUDE_API_KEY for claude";
        else
            how = "configure " + id + " (providers." + id + " in the config file, or " +
                  sdk::setting_variable(id, "base_url") + " and the like)";
        out += (out.empty() ? "" : ", or ") + how;
    }
    return out.empty() ? "install a provider plugin" : out;
}

std::string new_audit_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[40];
    std::snprintf(buf, sizeof buf, "aud_%s_%08llx", utc("%Y%m%dT%H%M%SZ").c_str(),
                  static_cast<unsigned long long>(rng() & 0xffffffffULL));
    return buf;
}

}  // namespace

AuditReport rules_audit(const connectors::Stack& stack, const RuleSet& rules, routing::Router* router,
                        const AuditOptions& options) {
    AuditReport r;
    r.audit_id = new_audit_id();
    r.created_at = utc("%Y-%m-%dT%H:%M:%SZ");
    r.applications = stack.apps;
    r.rules_version = rules.version;
    const std::string today = options.today.empty() ? utc("%Y-%m-%d") : options.today;

    r.findings = evaluate_rules(rules, stack.documents, today);
    json::value redacted = stack.documents;
    Redactor redactor;
    r.redacted_values = redactor.redact(redacted);
    r.redacted_documents = std::move(redacted.as_object());
    // Findings show current values; a secret-bearing current value is redacted too.
    for (auto& f : r.findings) redactor.redact(f.current);
    for (const auto& f : r.findings)
        if (f.origin == "rules") ++r.enrichment.total;
    r.score = health_score(r.findings);

    r.mode = "rules-only";
    r.enrichment.state = "skipped";
    if (!options.enrich) {
        r.mode_reason = "language model disabled (--no-llm)";
    } else if (!router) {
        r.mode_reason = "no provider plugins are loaded";
    } else if (r.findings.empty()) {
        r.mode_reason = "nothing to explain: no findings";
    } else {
        // Cheap checks first, so a stack with no model server answers at once.
        router->check_health(options.explain.provider.value_or(""));
        bool any_up = false;
        std::string why;
        for (const auto& p : router->providers()) {
            if (options.explain.provider && p.id != *options.explain.provider) continue;
            if (p.state == routing::ProviderState::healthy || p.state == routing::ProviderState::degraded) {
                any_up = true;
            } else {
                why += (why.empty() ? "" : "; ") + p.id + ": " +
                       (p.reason.empty() ? std::string(routing::state_name(p.state)) : p.reason);
                r.attempts.push_back({p.id, "skipped", p.reason, 0, p.latency_ms});
            }
        }
        if (!any_up) {
            r.mode_reason = "no language model is reachable (" + (why.empty() ? "no providers" : why) +
                            "). To enable one: " + enable_hint(*router, options.explain.provider) + ".";
        } else {
            r.attempts.clear();
            r.enrichment.state = "running";
        }
    }
    if (r.enrichment.state == "skipped") r.enrichment.not_explained_reason = r.mode_reason;
    return r;
}

namespace {
// A model explained at least one finding: the audit is in llm mode.
void mark_explained_by(AuditReport& r, const std::string& provider) {
    r.mode = "llm";
    r.provider = provider;
    r.mode_reason.clear();
}
}  // namespace

void apply_progress(AuditReport& r, const EnrichmentProgress& p) {
    r.findings = p.findings;
    r.enrichment = p.stats;
    if (p.stats.explained > 0) mark_explained_by(r, p.provider);
}

void enrich_audit(AuditReport& r, const RuleSet& rules, routing::Router& router, const AuditOptions& options) {
    EnrichmentResult e = enrich(router, rules, r.findings, r.redacted_documents, options.explain);
    r.attempts = e.attempts;
    r.enrichment = e.stats;
    if (e.applied)
        mark_explained_by(r, e.provider);
    else
        r.mode_reason = e.reason;
    r.score = health_score(r.findings);
}

AuditReport run_audit(const connectors::Stack& stack, const RuleSet& rules, routing::Router* router,
                      const AuditOptions& options) {
    AuditReport r = rules_audit(stack, rules, router, options);
    if (r.enrichment.state == "running") enrich_audit(r, rules, *router, options);
    return r;
}

}  // namespace autoarr::audit
