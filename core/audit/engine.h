// Evaluates a rule set on a stack's documents: deterministic findings,
// sorted by severity, and a health score.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "audit/rule_set.h"

namespace autoarr::audit {

struct Finding {
    CatalogEntry rule;
    boost::json::value current;    // what the documents hold (null when not applicable)
    std::string origin = "rules";  // "rules" or "llm"
    std::string explanation;       // from enrichment
    std::string impact;            // from enrichment
};

// Orders findings by severity, keeping their order within one severity (a
// model's added findings join their severity at its end).
void sort_by_severity(std::vector<Finding>& findings);

// 100 minus the findings' severity weights (rule_set.h), floored at 0.
int health_score(const std::vector<Finding>& findings);

// documents: {"sabnzbd": {"get_config": .., "version": ..}, "sonarr": {...}, "radarr": {...}}.
// today: YYYY-MM-DD, for date rules.
std::vector<Finding> evaluate_rules(const RuleSet& rules, const boost::json::object& documents,
                                    const std::string& today);

}  // namespace autoarr::audit
