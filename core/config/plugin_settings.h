// The "plugins" section of the config file: trusted keys, which directories
// require signatures, isolation per plugin and the runner's limits
// (docs/configuration.md "Plugins"; docs/operations.md "Plugin isolation").
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace autoarr::config {

struct RunnerSettings {
    std::optional<uint64_t> memory_limit_mb;  // 0: none
    std::optional<uint64_t> open_files;
    std::optional<int64_t> load_deadline_ms;
    std::optional<int64_t> kill_grace_ms;
    std::optional<int64_t> restart_backoff_ms;
    std::optional<int64_t> max_restart_backoff_ms;
    std::optional<int64_t> quarantine_after;
    std::optional<int64_t> quarantine_window_ms;
    std::optional<bool> seccomp;
};

struct PluginSettings {
    // "trusted_keys": a directory or a list; empty: /etc/autoarr/trusted-keys and
    // <bindir>/../share/autoarr/trusted-keys.
    std::vector<std::filesystem::path> trusted_keys_dirs;
    // "directories": {"<dir>": {"require_signatures": true|false}}
    std::map<std::string, bool> require_signatures;
    // "isolation": {"<plugin id>": "in-process"|"process"}
    std::map<std::string, std::string, std::less<>> isolation;
    RunnerSettings runner;
};

// Reads the section; every problem is appended to errors naming the key.
void read_plugin_settings(const boost::json::value& section, const std::string& file, PluginSettings& out,
                          std::vector<std::string>& errors);

}  // namespace autoarr::config
