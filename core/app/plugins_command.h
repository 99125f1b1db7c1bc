// `autoarr plugins list [--json] [--plugin-dir DIR]... [--no-builtin-plugins]`
#pragma once

#include <string>
#include <vector>

#include "plugin/plugin_registry.h"

namespace autoarr::app {

int run_plugins_command(const std::vector<std::string>& args);

// The search path the CLI and the service use, from flags and environment.
std::vector<plugin::SearchDir> search_path_from(const std::vector<std::string>& plugin_dirs, bool builtin);

}  // namespace autoarr::app
