// Where a fix run's findings come from: a stored audit (its documents were
// stored with it, redacted), and the writers for the configured apps.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "audit/engine.h"
#include "config/config.h"
#include "fix/apply.h"
#include "store/store.h"

namespace autoarr::fix {

struct AuditedStack {
    std::string audit_id;
    std::string today;  // the audit's date, for date rules
    boost::json::object documents;
    std::vector<audit::Finding> findings;
};

// A stored audit's documents and the rule findings it reported (evaluated
// again on its documents, so each carries its rule). Throws
// std::invalid_argument naming what is missing: no such audit, or one
// stored before fixes existed (no documents).
AuditedStack stored_audit(store::Store& store, const std::string& audit_id, const audit::RuleSet& rules);

// Writers for the configured apps; an app that is not configured fails its
// fields with that reason.
Writers writers_for(const std::map<std::string, config::AppConfig>& apps, std::chrono::milliseconds timeout);

}  // namespace autoarr::fix
