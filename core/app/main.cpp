// autoarr: the command-line entry point. Each command lives in its own file.
#include <autoarr/provider.h>

#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "app/audit_command.h"
#include "app/cache_command.h"
#include "app/fix_command.h"
#include "app/plugins_command.h"
#include "app/providers_command.h"
#include "app/serve_command.h"
#include "config/config.h"
#include "plugin/manifest.h"
#include "util/log.h"
#include "version.h"

namespace {

constexpr const char* kUsage = R"(usage: autoarr [--log-level LEVEL] <command> [options]

AutoArr audits the configuration of SABnzbd, Sonarr and Radarr and explains
what to change and why, with a language model where one is reachable.

commands:
  serve [--listen HOST:PORT] [--db PATH]         the HTTP service (docs/api.md)
  audit --from DIR [--format json|markdown|text] [--fail-on SEVERITY] [--save DIR] [--no-llm]
        [--no-cache] [--progress] [--deadline S]
                                                audit a stack's configuration and explain what to change
  cache clear [--db PATH]                       forget every cached model explanation
  fix [RULE_ID...] [--audit ID] [--severity S] [--yes] [--force] [--rollback-on-failure]
      [--format text|markdown|json]             show (dry run) or apply the fixes for the findings
  rollback CHANGE_SET [--yes] [--force]         write a change set's before values back
  changes [--format text|json]                  the change sets fixes made, newest first
  plugins list [--json] [--plugin-dir DIR]...   provider plugins found, loaded or rejected (and why)
  plugins sign --key KEY DIR | verify DIR      sign a plugin (Ed25519) or check its signature
  providers [--json]                            providers in routing order, each checked once now
  chat [--provider ID] [--model M] [--stream] [--json] [--timeout S] MESSAGE...
                                                one chat request through the router

options for audit, serve, providers and chat (fix and rollback take --config too):
  --config FILE        JSON config file (default: $AUTOARR_CONFIG, else /etc/autoarr/config.json when present)
  --plugin-dir DIR     search DIR for plugins first (repeatable); --no-builtin-plugins skips the built-in ones

options:
  --version            print the version and the provider ABI range
  --help               print this help
  --log-level LEVEL    trace|debug|info|warn|error|off (default: $AUTOARR_LOG_LEVEL or info)

environment (see docs/configuration.md):
  AUTOARR_PLUGIN_PATH  colon-separated plugin directories, searched after --plugin-dir
  LLM_PROVIDER, LLM_FALLBACK_ORDER, LLM_FALLBACK_ENABLED, OLLAMA_URL, OLLAMA_MODEL,
  CLAUDE_API_KEY, CLAUDE_MODEL, ... configure the providers
)";

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (const auto env_level = autoarr::config::log_level(autoarr::config::process_environment())) {
        autoarr::log::Level level;
        if (autoarr::log::parse_level(*env_level, level))
            autoarr::log::set_threshold(level);
        else
            std::cerr << "autoarr: AUTOARR_LOG_LEVEL \"" << *env_level
                      << "\" is not one of trace|debug|info|warn|error|off; logging at info\n";
    }
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
    if (cmd == "providers") return autoarr::app::run_providers_command(rest);
    if (cmd == "chat") return autoarr::app::run_chat_command(rest);
    if (cmd == "audit") return autoarr::app::run_audit_command(rest);
    if (cmd == "serve") return autoarr::app::run_serve_command(rest);
    if (cmd == "cache") return autoarr::app::run_cache_command(rest);
    if (cmd == "fix") return autoarr::app::run_fix_command(rest);
    if (cmd == "rollback") return autoarr::app::run_rollback_command(rest);
    if (cmd == "changes") return autoarr::app::run_changes_command(rest);
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
