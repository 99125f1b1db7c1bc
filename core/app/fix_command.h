// `autoarr fix`, `autoarr rollback` and `autoarr changes` (docs/fixes.md).
#pragma once

#include <string>
#include <vector>

namespace autoarr::app {

int run_fix_command(const std::vector<std::string>& args);
int run_rollback_command(const std::vector<std::string>& args);
int run_changes_command(const std::vector<std::string>& args);

}  // namespace autoarr::app
