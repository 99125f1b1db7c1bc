// The files a command uses when no flag names one, as the environment
// overrides them (config::db_path, config::rules_file; docs/configuration.md).
#pragma once

#include <filesystem>
#include <string>

namespace autoarr::app {

std::string default_db_path();
std::filesystem::path default_rules_path();

}  // namespace autoarr::app
