// `autoarr plugins list|sign|verify` (docs/plugin-guide.md, docs/operations.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "plugin/plugin_registry.h"

namespace autoarr::app {

int run_plugins_command(const std::vector<std::string>& args);

// The search path the CLI and the service use, from flags, environment and
// the config file's "plugins" section (which directories require signatures).
std::vector<plugin::SearchDir> search_path_from(const std::vector<std::string>& plugin_dirs, bool builtin,
                                                const config::PluginSettings& settings = {});

// Trusted keys directories: --trusted-keys, else the config's, else
// /etc/autoarr/trusted-keys and <bindir>/../share/autoarr/trusted-keys.
std::vector<std::filesystem::path> trusted_key_dirs(const config::PluginSettings& settings,
                                                    const std::optional<std::string>& flag);

// The loader's options from the config: trusted keys, isolation overrides, runner limits.
plugin::LoaderOptions loader_options(const config::PluginSettings& settings, const std::optional<std::string>& flag);

}  // namespace autoarr::app
