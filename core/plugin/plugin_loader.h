// Loads one plugin from its manifest: every check of docs/abi-policy.md, in
// order, stopping at the first failure with the step and the reason.
#pragma once

#include <memory>
#include <string>

#include "plugin/loaded_plugin.h"
#include "plugin/manifest.h"

namespace autoarr::plugin {

// The steps a plugin passes through, as named in log lines and reasons.
enum class LoadStep { manifest, duplicate, permissions, architecture, load, symbol, negotiate, validate, startup };
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

struct LoaderOptions {
    uint32_t min_abi_version = AUTOARR_ABI_VERSION_1_0;
    uint32_t max_abi_version = AUTOARR_ABI_VERSION_CURRENT;
    bool check_permissions = true;
};

LoadOutcome load_plugin(const Manifest& manifest, const LoaderOptions& options);

}  // namespace autoarr::plugin
