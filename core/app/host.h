// Everything a command needs to talk to providers: the loaded plugins, the
// configuration, and a router over them. Built once per process.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "plugin/plugin_registry.h"
#include "routing/router.h"

namespace autoarr::app {

struct HostOptions {
    std::vector<std::string> plugin_dirs;     // --plugin-dir
    bool builtin_plugins = true;              // false: --no-builtin-plugins
    std::optional<std::string> config_file;   // --config
    std::optional<std::string> provider;      // --provider
    std::optional<std::string> trusted_keys;  // --trusted-keys
};

struct Host {
    config::Config config;
    plugin::PluginRegistry registry;
    std::unique_ptr<routing::Router> router;
    // Problems that stop the host from routing at all (bad config file,
    // unknown provider names). Empty when usable.
    std::vector<std::string> errors;
};

std::unique_ptr<Host> build_host(const HostOptions& options);

class CliArgs;

// The flags every provider-facing command accepts, added to a command's own valued options.
std::set<std::string> with_host_flags(std::set<std::string> valued);
// --plugin-dir (repeatable), --no-builtin-plugins, --config.
HostOptions host_options(const CliArgs& args);

}  // namespace autoarr::app
