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
    std::optional<std::string> provider;  // per-request choice
    bool enrich = true;                   // false: --no-llm
    std::chrono::milliseconds enrich_deadline{180000};
    std::string today;  // YYYY-MM-DD; empty = the current UTC date
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
};

// `stack` holds the documents as fetched (unredacted): rules run on them; the
// model and every output only ever see the redacted copy.
AuditReport run_audit(const connectors::Stack& stack, const RuleSet& rules, routing::Router* router,
                      const AuditOptions& options);

std::string report_json(const AuditReport& report);
std::string report_markdown(const AuditReport& report);
std::string report_text(const AuditReport& report, bool color);

}  // namespace autoarr::audit
