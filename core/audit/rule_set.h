// A versioned rule file (core/audit/rules/catalog.json, docs/rules.md): the
// catalog entries (what a finding says) and the logic that decides when
// each fires. Loading checks every expression, so a bad file fails at load
// with the rule id and the problem, never in the middle of an audit.
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "audit/fix_spec.h"

namespace autoarr::audit {

struct CatalogEntry {
    std::string id;
    std::string application;  // sabnzbd | sonarr | radarr | cross-app
    std::string setting_path;
    std::string condition;
    std::string recommended;
    std::string severity;  // critical | high | medium | low
    std::string category;  // security | reliability | performance | quality | storage
    std::string rationale;
    std::string source;
};

struct Rule {
    CatalogEntry entry;
    std::string app;  // for templated rules: the *arr the logic runs for ($app)
    boost::json::value when;
    boost::json::value current;  // null: none
    std::vector<FixSpec> fixes;  // empty: advisory only ("manual fix")
};

struct RuleSet {
    std::string version;
    std::vector<Rule> rules;
};

// Throws std::runtime_error naming the file, the rule id and the problem.
RuleSet load_rules(const std::filesystem::path& path);
RuleSet parse_rules(std::string_view text, const std::string& origin);

// The shipped rule file: <bindir>/../share/autoarr/rules.json, else the source
// tree's copy (development builds). Commands honour AUTOARR_RULES first
// (app/default_paths.h).
std::filesystem::path installed_rules_path();

int severity_rank(std::string_view severity);  // critical 0 .. low 3, unknown 4
// What a finding costs the health score (docs/audit.md): critical 25, high 10, medium 4, low 1.
int severity_weight(std::string_view severity);

}  // namespace autoarr::audit
