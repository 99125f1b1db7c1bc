// Finds plugins along the search path and loads each one that passes every
// check; remembers why it refused the others (docs/abi-policy.md LOAD-1..8).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "plugin/plugin_loader.h"

namespace autoarr::plugin {

struct SearchDir {
    std::filesystem::path path;
    std::string origin;  // "--plugin-dir", "AUTOARR_PLUGIN_PATH", "built-in", "private"
    // LOAD-9: every plugin here must carry a valid signature by a trusted key.
    bool require_signatures = false;
    // ISO-1: the isolation of a plugin whose manifest and configuration name none.
    std::string default_isolation = "in-process";
};

struct SearchPathOptions {
    std::vector<std::filesystem::path> cli_dirs;  // --plugin-dir, in the order given
    std::string env_path;                         // AUTOARR_PLUGIN_PATH, colon-separated
    std::filesystem::path executable_dir;         // <bindir>; built-in = <bindir>/../lib/autoarr/plugins
    bool include_builtin = true;
    // LOAD-9: directories (as given or normalised) whose plugins must be signed, besides the
    // private directory, which always is unless listed in unsigned_dirs.
    std::vector<std::filesystem::path> signed_dirs;
    std::vector<std::filesystem::path> unsigned_dirs;
};

// LOAD-2: --plugin-dir entries, then AUTOARR_PLUGIN_PATH entries, then the
// built-in directory, then the private (premium) directory. Empty entries and
// repeats of an earlier directory are dropped. ISO-1: the built-in directory's
// plugins run in-process by default, every other directory's in a runner.
// LOAD-9: the private directory requires signatures by default.
std::vector<SearchDir> plugin_search_path(const SearchPathOptions& options);

struct PluginRecord {
    std::string id;  // the manifest's id, or the directory name when there is none
    std::string name;
    std::string version;
    std::string abi_version;  // negotiated when loaded, else the manifest's
    int32_t priority = 0;
    std::filesystem::path path;  // the library, or the manifest/directory when unknown
    std::string origin;
    bool loaded = false;
    std::string isolation;  // "in-process" or "process" (ISO-1)
    std::string signature;  // "verified" or "not required" (LOAD-9)
    LoadFailure failure{};  // meaningful when !loaded
    std::shared_ptr<LoadedPlugin> plugin;

    // "step <step>: <cause> [<rule>]"
    std::string reason() const;
};

class PluginRegistry {
public:
    static PluginRegistry discover(const std::vector<SearchDir>& search_path, const LoaderOptions& options = {});

    const std::vector<PluginRecord>& records() const { return records_; }
    std::vector<std::shared_ptr<LoadedPlugin>> loaded() const;
    std::shared_ptr<LoadedPlugin> find(std::string_view id) const;

private:
    std::vector<PluginRecord> records_;
};

}  // namespace autoarr::plugin
