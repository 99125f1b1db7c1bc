// Loads one plugin from its manifest: every check of docs/abi-policy.md, in
// order, stopping at the first failure with the step and the reason.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin/loaded_plugin.h"
#include "plugin/manifest.h"
#include "plugin/signature.h"

namespace autoarr::plugin {

// The steps a plugin passes through, as named in log lines and reasons.
enum class LoadStep {
    manifest,
    duplicate,
    permissions,
    architecture,
    signature,
    load,
    symbol,
    negotiate,
    validate,
    startup
};
std::string_view step_name(LoadStep step);

struct LoadFailure {
    LoadStep step;
    std::string rule;   // "LOAD-4", "ABI-10", ... in docs/abi-policy.md
    std::string cause;  // what was wrong, naming the field/file
};

struct LoadOutcome {
    std::shared_ptr<LoadedPlugin> plugin;  // set on success
    LoadFailure failure{};                 // meaningful when plugin is null
};

// How a process-isolated plugin's runner is started, limited and restarted
// (docs/operations.md "Plugin isolation"; config "plugins": {"runner": {...}}).
struct RunnerOptions {
    std::filesystem::path executable;                // autoarr-plugin-runner; empty: beside this executable
    uint64_t memory_limit_mb = 1024;                 // RLIMIT_AS (or the sanitizer's RSS limit in sanitizer builds)
    uint64_t open_files = 256;                       // RLIMIT_NOFILE
    std::chrono::milliseconds load_deadline{10000};  // load, negotiate and module_startup
    std::chrono::milliseconds kill_grace{1000};      // after a deadline or cancel, before SIGKILL
    std::chrono::milliseconds restart_backoff{200};  // first restart delay; doubles per crash
    std::chrono::milliseconds max_restart_backoff{30000};
    int quarantine_after = 5;  // crashes within the window that quarantine
    std::chrono::milliseconds quarantine_window{300000};
    bool seccomp = true;  // false: no_new_privs only
    // The runner's environment, "NAME=value" each: the host's, as core/config
    // read it (the commands fill it). Empty: the runner starts with none, beyond
    // the sanitizer options of a sanitizer build (which halt on the first error).
    std::vector<std::string> environment;
};

struct LoaderOptions {
    uint32_t min_abi_version = AUTOARR_ABI_VERSION_1_0;
    uint32_t max_abi_version = AUTOARR_ABI_VERSION_CURRENT;
    bool check_permissions = true;
    // LOAD-9/LOAD-10: set per search directory by the registry.
    bool require_signatures = false;
    std::vector<TrustedKey> trusted_keys;
    // ISO-1: "in-process" or "process"; the registry resolves config, manifest and directory default.
    std::string isolation = "in-process";
    std::map<std::string, std::string, std::less<>> isolation_overrides;  // plugin id -> isolation (config)
    RunnerOptions runner;
};

LoadOutcome load_plugin(const Manifest& manifest, const LoaderOptions& options);

// The part of loading that runs the plugin's code, in this process: load the
// library from load_path (its checked path, or /proc/self/fd/N of the checked
// descriptor), find the entry point, negotiate, validate, module_startup.
// The plugin runner calls this too.
LoadOutcome load_library(const Manifest& manifest, const std::filesystem::path& load_path, const LoaderOptions& options,
                         std::unique_ptr<PluginHostContext> context);

}  // namespace autoarr::plugin
