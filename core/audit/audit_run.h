// One audit: rules on the stack, optional enrichment through the router,
// a report that says exactly what happened.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "audit/engine.h"
#include "audit/enrichment.h"
#include "connectors/stack.h"
#include "routing/router.h"

namespace autoarr::audit {

struct AuditOptions {
    bool enrich = true;  // false: --no-llm
    std::string today;   // YYYY-MM-DD; empty = the current UTC date
    // How the findings are explained: the explicit provider (also the one
    // health-checked), the deadline, the cache, cancellation and progress.
    EnrichOptions explain;
};

struct AuditReport {
    std::string audit_id;
    std::string created_at;  // UTC, ISO 8601
    std::string mode;        // "llm" | "rules-only"
    std::optional<std::string> provider;
    std::string mode_reason;  // why rules-only (empty in llm mode)
    std::vector<routing::Attempt> attempts;
    int score = 100;
    std::vector<connectors::AppStatus> applications;
    std::vector<Finding> findings;
    EnrichmentStats enrichment;
    std::string rules_version;
    int redacted_values = 0;
    boost::json::object redacted_documents;  // what a model may see (never serialized into the report)
};

// `stack` holds the documents as fetched (unredacted): rules run on them; the
// model and every output only ever see the redacted copy.
AuditReport run_audit(const connectors::Stack& stack, const RuleSet& rules, routing::Router* router,
                      const AuditOptions& options);

// The same in two steps, for the service: the rules-only audit, with
// enrichment.state "running" when a provider can explain it (else
// "skipped" and mode_reason says why), then the enrichment itself.
AuditReport rules_audit(const connectors::Stack& stack, const RuleSet& rules, routing::Router* router,
                        const AuditOptions& options);
void enrich_audit(AuditReport& report, const RuleSet& rules, routing::Router& router, const AuditOptions& options);
// Folds a progress report into the audit (the service stores it per batch).
void apply_progress(AuditReport& report, const EnrichmentProgress& progress);

std::string report_json(const AuditReport& report);
// A report_json() object read back (for rendering a stored audit); missing
// or mistyped fields are left at their defaults.
AuditReport report_from_json(const boost::json::object& report);
std::string report_markdown(const AuditReport& report);
std::string report_text(const AuditReport& report, bool color);

}  // namespace autoarr::audit
