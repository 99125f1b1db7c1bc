// What `autoarr fix`, `rollback` and `changes` print, and what the service's
// fix routes answer (docs/fixes.md, docs/api.md): JSON for machines, text
// and Markdown for people. A dry run is a diff per application: setting,
// before, after and the exact API call.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "fix/fix_run.h"
#include "store/store.h"

namespace autoarr::fix {

boost::json::object fix_json(const FixRun& run);
std::string fix_text(const FixRun& run);
std::string fix_markdown(const FixRun& run);

boost::json::object rollback_json(const RollbackRun& run);
std::string rollback_text(const RollbackRun& run);

boost::json::object change_set_json(const store::ChangeSetRow& set);
boost::json::object changes_json(const std::vector<store::ChangeSetRow>& sets);  // {"changes": [...]}
std::string changes_text(const std::vector<store::ChangeSetRow>& sets);

}  // namespace autoarr::fix
