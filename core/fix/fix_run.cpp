#include "fix/fix_run.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "util/utc_time.h"

namespace autoarr::fix {
namespace json = boost::json;

namespace {

std::string today_or_now(const std::string& today) {
    return today.empty() ? util::format_utc(std::chrono::system_clock::now(), "%Y-%m-%d") : today;
}

// Re-audits the live stack: the rule ids that fire now, or why it could not run.
std::optional<std::vector<audit::Finding>> reaudit(const audit::RuleSet& rules, const Refetch& refetch,
                                                   const std::string& today, std::string& error) {
    if (!refetch) {
        error = "no live stack to re-audit";
        return std::nullopt;
    }
    connectors::Stack stack = refetch();
    for (const auto& a : stack.apps)
        if (a.status == "error") {
            error = a.name + " could not be read for the re-audit: " + a.error;
            return std::nullopt;
        }
    return audit::evaluate_rules(rules, stack.documents, today);
}

bool fires(const std::vector<audit::Finding>& findings, const std::string& id) {
    return std::any_of(findings.begin(), findings.end(), [&](const auto& f) { return f.rule.id == id; });
}

void add_once(std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

FixRun run_fix(const audit::RuleSet& rules, const std::string& audit_id, const std::vector<audit::Finding>& findings,
               const json::object& documents, const FixRequest& request, Writers& writers, store::Store* store,
               const Refetch& refetch) {
    FixRun run;
    run.audit_id = audit_id;
    run.dry_run = request.dry_run;
    const std::string today = today_or_now(request.today);
    run.plan = plan_fixes(rules, findings, documents, request.selection, today);
    run.verification.score_before = audit::health_score(findings);
    if (request.dry_run || run.plan.changes.empty()) return run;
    if (!store) throw std::invalid_argument("fixes need the store, to keep their change set");

    ApplyOptions opts;
    opts.audit_id = audit_id;
    opts.force = request.force;
    opts.rollback_on_failure = request.rollback_on_failure;
    run.applied = apply_plan(run.plan, writers, *store, opts);

    Verification& v = run.verification;
    std::set<std::string> written_rules;
    for (const auto& f : run.applied->fields) {
        if (f.state == "written") {
            written_rules.insert(f.change.rule_id);
            if (f.change.restart) add_once(v.restart_required, f.change.app);
        } else if (f.state == "failed" || f.state == "refused") {
            add_once(v.failed, f.change.rule_id);
        }
    }
    auto after = reaudit(rules, refetch, today, v.error);
    if (!after) return run;
    v.ran = true;
    v.score_after = audit::health_score(*after);
    v.findings_after = after->size();
    std::vector<std::string> planned;
    for (const auto& c : run.plan.changes) add_once(planned, c.rule_id);
    for (const auto& id : planned) {
        if (fires(*after, id))
            add_once(v.left, id);
        else if (written_rules.count(id) && std::find(v.failed.begin(), v.failed.end(), id) == v.failed.end())
            v.fixed.push_back(id);
    }
    return run;
}

RollbackRun run_rollback(const audit::RuleSet& rules, const std::string& change_set_id, bool force, Writers& writers,
                         store::Store& store, const Refetch& refetch) {
    RollbackRun run;
    run.result = rollback_change_set(change_set_id, writers, store, force);
    Verification& v = run.verification;
    for (const auto& f : run.result.fields) {
        if (f.state == "rolled_back" && f.change.restart) add_once(v.restart_required, f.change.app);
        if (f.state == "failed" || f.state == "refused") add_once(v.failed, f.change.rule_id);
    }
    auto after = reaudit(rules, refetch, today_or_now(""), v.error);
    if (!after) return run;
    v.ran = true;
    v.score_after = audit::health_score(*after);
    v.findings_after = after->size();
    for (const auto& f : run.result.fields)
        if (fires(*after, f.change.rule_id)) add_once(v.left, f.change.rule_id);
    return run;
}

}  // namespace autoarr::fix
