#include "app/plugins_command.h"

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/cli_args.h"
#include "plugin/records_json.h"
#include "util/paths.h"

namespace autoarr::app {
namespace json = boost::json;

std::vector<plugin::SearchDir> search_path_from(const std::vector<std::string>& plugin_dirs, bool builtin) {
    plugin::SearchPathOptions o;
    for (const auto& d : plugin_dirs) o.cli_dirs.emplace_back(d);
    if (const char* env = std::getenv("AUTOARR_PLUGIN_PATH")) o.env_path = env;
    o.executable_dir = util::executable_dir();
    o.include_builtin = builtin;
    return plugin::plugin_search_path(o);
}

int run_plugins_command(const std::vector<std::string>& args) {
    CliArgs a(args, {"--json", "--no-builtin-plugins", "--help"}, {"--plugin-dir"});
    if (!a.error().empty()) {
        std::cerr << "autoarr plugins: " << a.error() << "\n";
        return 2;
    }
    if (a.has("--help") || a.positional().empty()) {
        std::cout << "usage: autoarr plugins list [--json] [--plugin-dir DIR]... [--no-builtin-plugins]\n";
        return a.has("--help") ? 0 : 2;
    }
    if (a.positional().size() != 1 || a.positional()[0] != "list") {
        std::cerr << "autoarr plugins: unknown subcommand '" << a.positional()[0] << "' (expected 'list')\n";
        return 2;
    }
    auto registry =
        plugin::PluginRegistry::discover(search_path_from(a.values("--plugin-dir"), !a.has("--no-builtin-plugins")));
    if (a.has("--json")) {
        std::cout << json::serialize(plugin::plugin_records_array(registry.records())) << "\n";
        return 0;
    }
    if (registry.records().empty()) {
        std::cout << "no plugins found\n";
        return 0;
    }
    std::printf("%-16s %-10s %-4s %-9s %s\n", "ID", "VERSION", "ABI", "STATE", "PATH / REASON");
    for (const auto& r : registry.records()) {
        std::printf("%-16s %-10s %-4s %-9s %s\n", r.id.c_str(), r.version.c_str(), r.abi_version.c_str(),
                    r.loaded ? "loaded" : "rejected", r.loaded ? r.path.c_str() : r.reason().c_str());
        if (!r.loaded) std::printf("%-16s %s\n", "", r.path.c_str());
    }
    return 0;
}

}  // namespace autoarr::app
