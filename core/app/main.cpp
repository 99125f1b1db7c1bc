// autoarr: the command-line entry point. Each command lives in its own file.
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <autoarr/provider.h>

#include "app/plugins_command.h"
#include "plugin/manifest.h"
#include "util/log.h"
#include "version.h"

namespace {

constexpr const char* kUsage = R"(usage: autoarr [--log-level LEVEL] <command> [options]

AutoArr audits the configuration of SABnzbd, Sonarr and Radarr and explains
what to change and why, with a language model where one is reachable.

commands:
  plugins list [--json] [--plugin-dir DIR]...   provider plugins found, loaded or rejected (and why)

options:
  --version            print the version and the provider ABI range
  --help               print this help
  --log-level LEVEL    trace|debug|info|warn|error|off (default: $AUTOARR_LOG_LEVEL or info)

environment:
  AUTOARR_PLUGIN_PATH  colon-separated plugin directories, searched after --plugin-dir
)";

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    while (!args.empty() && args[0] == "--log-level") {
        autoarr::log::Level level;
        if (args.size() < 2 || !autoarr::log::parse_level(args[1], level)) {
            std::cerr << "autoarr: --log-level needs one of trace|debug|info|warn|error|off\n";
            return 2;
        }
        autoarr::log::set_threshold(level);
        args.erase(args.begin(), args.begin() + 2);
    }
    if (args.empty()) {
        std::cerr << kUsage;
        return 2;
    }
    const std::string cmd = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (cmd == "--version" || cmd == "version") {
        std::cout << "autoarr " << AUTOARR_VERSION_STRING << " (provider ABI "
                  << autoarr::plugin::format_abi_version(AUTOARR_ABI_VERSION_1_0) << ".."
                  << autoarr::plugin::format_abi_version(AUTOARR_ABI_VERSION_CURRENT) << ")\n";
        return 0;
    }
    if (cmd == "--help" || cmd == "help" || cmd == "-h") {
        std::cout << kUsage;
        return 0;
    }
    if (cmd == "plugins") return autoarr::app::run_plugins_command(rest);
    std::cerr << "autoarr: unknown command '" << cmd << "'\n" << kUsage;
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "autoarr: fatal: " << e.what() << "\n";
        return 2;
    }
}
