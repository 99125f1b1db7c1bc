// One `autoarr fix` run, shared by the CLI and the service: plan from the
// audited documents, then (unless a dry run) apply, re-audit the live stack
// and say which findings are fixed, failed or left, and which apps need a
// restart. Also the re-audit after a rollback.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/engine.h"
#include "connectors/stack.h"
#include "fix/apply.h"
#include "fix/plan.h"

namespace autoarr::fix {

struct FixRequest {
    Selection selection;
    bool dry_run = true;
    bool force = false;
    bool rollback_on_failure = false;
    std::string today;  // YYYY-MM-DD for date rules; "" = now
};

struct Verification {
    bool ran = false;                           // a re-audit ran
    std::string error;                          // why it could not (an app unreachable)
    std::vector<std::string> fixed;             // every change written, and the rule no longer fires
    std::vector<std::string> failed;            // a change failed or was refused
    std::vector<std::string> left;              // still firing
    std::vector<std::string> restart_required;  // apps to restart before written changes take effect
    int score_before = 0, score_after = 0;
    std::size_t findings_after = 0;
};

struct FixRun {
    std::string audit_id;
    bool dry_run = true;
    Plan plan;
    std::optional<ApplyResult> applied;
    Verification verification;
};

// Fetches the live stack again, for the re-audit.
using Refetch = std::function<connectors::Stack()>;

FixRun run_fix(const audit::RuleSet& rules, const std::string& audit_id, const std::vector<audit::Finding>& findings,
               const boost::json::object& documents, const FixRequest& request, Writers& writers, store::Store* store,
               const Refetch& refetch);

struct RollbackRun {
    RollbackResult result;
    Verification verification;  // `fixed`: none; `left`: the change set's rules that fire again
};

RollbackRun run_rollback(const audit::RuleSet& rules, const std::string& change_set_id, bool force, Writers& writers,
                         store::Store& store, const Refetch& refetch);

}  // namespace autoarr::fix
