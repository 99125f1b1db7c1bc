#include "audit/engine.h"

#include <algorithm>

#include "audit/expression.h"

namespace autoarr::audit {
namespace json = boost::json;

int health_score(const std::vector<Finding>& findings) {
    int score = 100;
    for (const auto& f : findings) score -= severity_weight(f.rule.severity);
    return std::max(score, 0);
}

std::vector<Finding> evaluate_rules(const RuleSet& rules, const json::object& documents, const std::string& today) {
    std::vector<Finding> out;
    Scope scope;  // one scope for the whole run, so $arrs is built once
    scope.documents = &documents;
    scope.today = today;
    for (const Rule& rule : rules.rules) {
        // A rule for an application whose documents are absent does not run.
        const std::string& app = rule.entry.application;
        if ((app == "sabnzbd" || app == "cross-app") && !documents.contains("sabnzbd") &&
            !(app == "cross-app" && rule.entry.id.rfind("X-RPM", 0) == 0))
            continue;
        if (!rule.app.empty() && !documents.contains(rule.app)) continue;
        scope.app = rule.app;
        scope.vars.clear();
        if (!truthy(evaluate(rule.when, scope))) continue;
        Finding f;
        f.rule = rule.entry;
        if (!rule.current.is_null()) {
            Value cur = evaluate(rule.current, scope);
            f.current = cur ? *cur : json::value(nullptr);
        }
        out.push_back(std::move(f));
    }
    std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
        const int ra = severity_rank(a.rule.severity), rb = severity_rank(b.rule.severity);
        return ra != rb ? ra < rb : a.rule.id < b.rule.id;
    });
    return out;
}

void sort_by_severity(std::vector<Finding>& findings) {
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        return severity_rank(a.rule.severity) < severity_rank(b.rule.severity);
    });
}

}  // namespace autoarr::audit
