#include "plugin/plugin_registry.h"

#include <algorithm>
#include <map>
#include <set>

#include "util/log.h"

namespace autoarr::plugin {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kManifestName = "manifest.json";

void log_rejection(const PluginRecord& r) {
    log::warn("plugin", "rejected " + r.path.string() + ": step " + std::string(step_name(r.failure.step)) + ": " +
                            r.failure.cause + " (docs/abi-policy.md " + r.failure.rule + ")");
}

PluginRecord rejected(std::string id, fs::path path, const SearchDir& dir, LoadFailure failure) {
    PluginRecord r;
    r.id = std::move(id);
    r.path = std::move(path);
    r.origin = dir.origin;
    r.failure = std::move(failure);
    return r;
}

}  // namespace

std::string PluginRecord::reason() const {
    if (loaded) return {};
    return "step " + std::string(step_name(failure.step)) + ": " + failure.cause + " [" + failure.rule + "]";
}

std::vector<SearchDir> plugin_search_path(const SearchPathOptions& o) {
    std::vector<SearchDir> dirs;
    const auto& o_signed = o.signed_dirs;
    const auto& o_unsigned = o.unsigned_dirs;
    std::set<fs::path> seen;
    auto listed = [](const std::vector<fs::path>& list, const fs::path& dir) {
        for (const auto& d : list)
            if (d.lexically_normal() == dir) return true;
        return false;
    };
    auto add = [&](const fs::path& p, const char* origin) {
        if (p.empty()) return;
        fs::path norm = p.lexically_normal();
        if (!seen.insert(norm).second) return;
        const std::string kind = origin;
        SearchDir d{norm, kind};
        d.default_isolation = kind == "built-in" ? "in-process" : "process";
        d.require_signatures = (kind == "private" && !listed(o_unsigned, norm)) || listed(o_signed, norm);
        dirs.push_back(std::move(d));
    };
    for (const auto& d : o.cli_dirs) add(d, "--plugin-dir");
    std::string_view env = o.env_path;
    while (!env.empty()) {
        auto colon = env.find(':');
        add(fs::path(std::string(env.substr(0, colon))), "AUTOARR_PLUGIN_PATH");
        if (colon == std::string_view::npos) break;
        env.remove_prefix(colon + 1);
    }
    if (o.include_builtin && !o.executable_dir.empty()) {
        add(o.executable_dir / ".." / "lib" / "autoarr" / "plugins", "built-in");
        add(o.executable_dir / ".." / "lib" / "autoarr" / "private-plugins", "private");
    }
    return dirs;
}

PluginRegistry PluginRegistry::discover(const std::vector<SearchDir>& search_path, const LoaderOptions& options) {
    PluginRegistry reg;
    std::map<std::string, fs::path, std::less<>> owner;  // id -> library of the plugin that loaded

    for (const SearchDir& dir : search_path) {
        std::error_code ec;
        if (!fs::is_directory(dir.path, ec)) {
            log::debug("plugin", "search directory " + dir.path.string() + " (" + dir.origin + ") does not exist");
            continue;
        }
        // LOAD-2: sorted by name, never readdir order.
        std::vector<fs::path> entries;
        for (fs::directory_iterator it(dir.path, ec), end; !ec && it != end; it.increment(ec))
            entries.push_back(it->path());
        if (ec) {
            log::warn("plugin", "cannot read search directory " + dir.path.string() + ": " + ec.message());
            continue;
        }
        std::sort(entries.begin(), entries.end());

        for (const fs::path& entry : entries) {
            if (!fs::is_directory(entry, ec)) continue;  // plugins live in their own directories
            const fs::path manifest_path = entry / kManifestName;
            if (!fs::exists(manifest_path, ec)) {
                auto r = rejected(entry.filename().string(), entry, dir,
                                  {LoadStep::manifest, "LOAD-1", "no manifest.json in " + entry.string()});
                log_rejection(r);
                reg.records_.push_back(std::move(r));
                continue;
            }
            ManifestResult mr = read_manifest(manifest_path);
            if (!mr.manifest) {
                auto r =
                    rejected(entry.filename().string(), manifest_path, dir, {LoadStep::manifest, "LOAD-1", mr.error});
                log_rejection(r);
                reg.records_.push_back(std::move(r));
                continue;
            }
            const Manifest& m = *mr.manifest;
            PluginRecord r;
            r.id = m.id;
            r.name = m.name;
            r.version = m.version;
            r.abi_version = m.abi_version;
            r.priority = m.priority;
            r.path = m.library;
            r.origin = dir.origin;
            if (auto it = owner.find(m.id); it != owner.end()) {
                r.failure = {LoadStep::duplicate, "LOAD-3",
                             "id \"" + m.id + "\" is already provided by " + it->second.string()};
                log_rejection(r);
                reg.records_.push_back(std::move(r));
                continue;
            }
            LoaderOptions plugin_options = options;
            plugin_options.require_signatures = dir.require_signatures;
            // ISO-1: the configuration, then the manifest, then the directory's default.
            if (auto it = options.isolation_overrides.find(m.id); it != options.isolation_overrides.end())
                plugin_options.isolation = it->second;
            else
                plugin_options.isolation = m.isolation.empty() ? dir.default_isolation : m.isolation;
            r.isolation = plugin_options.isolation;
            r.signature = dir.require_signatures ? "required" : "not required";
            LoadOutcome outcome = load_plugin(m, plugin_options);
            if (!outcome.plugin) {
                r.failure = std::move(outcome.failure);
                log_rejection(r);
                reg.records_.push_back(std::move(r));
                continue;
            }
            r.loaded = true;
            if (dir.require_signatures) r.signature = "verified";
            r.abi_version = format_abi_version(outcome.plugin->abi_version());
            r.plugin = std::move(outcome.plugin);
            owner.emplace(m.id, m.library);
            log::debug("plugin", "loaded " + m.id + " " + m.version + " (ABI " + r.abi_version + ", " + r.isolation +
                                     ") from " + m.library.string());
            reg.records_.push_back(std::move(r));
        }
    }
    return reg;
}

std::vector<std::shared_ptr<LoadedPlugin>> PluginRegistry::loaded() const {
    std::vector<std::shared_ptr<LoadedPlugin>> out;
    for (const auto& r : records_)
        if (r.loaded) out.push_back(r.plugin);
    return out;
}

std::shared_ptr<LoadedPlugin> PluginRegistry::find(std::string_view id) const {
    for (const auto& r : records_)
        if (r.loaded && r.id == id) return r.plugin;
    return nullptr;
}

}  // namespace autoarr::plugin
