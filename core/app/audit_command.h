// `autoarr audit [--from DIR] [--provider ID] [--format json|markdown|text]
//                [--fail-on SEVERITY] [--save DIR] [--no-llm]`
#pragma once

#include <string>
#include <vector>

namespace autoarr::app {

int run_audit_command(const std::vector<std::string>& args);

}  // namespace autoarr::app
