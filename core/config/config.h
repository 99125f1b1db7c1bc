// AutoArr's configuration: defaults < JSON file < environment < flags.
// Every provider (any plugin id) gets its own settings object from the
// file's "providers" section; secrets are split out of it so they reach a
// plugin only through the host's secret service (ABI-16), never as config
// text. See docs/configuration.md.
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/plugin_settings.h"

namespace autoarr::config {

struct ProviderConfig {
    // The plugin this provider is an instance of: the file's "plugin" key,
    // else the provider's own id (several providers may share one plugin).
    std::string plugin;
    boost::json::object settings;                // passed to instance_create as JSON
    std::map<std::string, std::string> secrets;  // served by get_secret (e.g. "api_key")
    std::string invalid_reason;                  // non-empty: the provider is unavailable, this says why
    std::optional<int> max_retries;              // router retries for this provider
};

// A media application to audit live (SABNZBD_URL/SABNZBD_API_KEY, ...).
struct AppConfig {
    std::string url;
    std::string api_key;  // never logged, stored or sent to a model
};

struct Config {
    std::map<std::string, AppConfig> apps;    // sabnzbd | sonarr | radarr: the configured ones only
    std::string provider;                     // LLM_PROVIDER; empty: by manifest priority
    bool provider_explicit = false;           // set by the file, LLM_PROVIDER or --provider (not the default)
    std::vector<std::string> fallback_order;  // LLM_FALLBACK_ORDER
    bool fallback_enabled = true;             // LLM_FALLBACK_ENABLED
    std::map<std::string, ProviderConfig> providers;
    int explanation_cache_days = 30;            // AUTOARR_EXPLANATION_CACHE_DAYS; file "cache": {"explanation_days": N}
    PluginSettings plugins;                     // file "plugins": {...}
    std::optional<std::filesystem::path> file;  // the file that was read, if any
    std::vector<std::string> errors;            // problems that make the whole configuration unusable

    // The configured order: the provider when something set it, then the
    // fallback order, without repeats. The built-in default pins nothing: with
    // LLM_PROVIDER unset the first place goes by manifest priority (Ollama's
    // 10 is the lowest of the first-party plugins; a plugin may go below it).
    std::vector<std::string> order() const;
    const ProviderConfig* provider_config(const std::string& id) const;
};

using Environment = std::map<std::string, std::string>;

struct Sources {
    Environment env;
    std::optional<std::filesystem::path> file;  // --config; else AUTOARR_CONFIG; else default_file if it exists
    std::filesystem::path default_file = "/etc/autoarr/config.json";
    std::optional<std::string> provider_flag;  // --provider
    // Ids AUTOARR_PROVIDER_<ID>_<KEY> may name besides the file's providers:
    // the loaded plugins' (an id's '.' and '-' are '_' in a variable name).
    // nullopt: this command loads no providers (audit and fix read only the
    // applications), so those variables are not read at all.
    std::optional<std::vector<std::string>> known_provider_ids;
};

Config load(const Sources& sources);

// "AUTOARR_PROVIDER_<ID>_<KEY>" for a provider id and a setting key: upper
// case, every character that is not a letter or digit as '_'.
std::string provider_env_name(std::string_view id, std::string_view key);

// Who may call `autoarr serve` besides itself (docs/operations.md, "Security"):
// AUTOARR_ALLOWED_HOSTS and AUTOARR_ALLOWED_ORIGINS, comma-separated lists.
struct ServeAccess {
    std::vector<std::string> allowed_hosts;    // Host names the server answers for, besides its own
    std::vector<std::string> allowed_origins;  // "scheme://host[:port]" allowed to call cross-origin
};
ServeAccess serve_access(const Environment& env);

// AUTOARR_WEB_DIR: where `autoarr serve` finds the web UI's built files,
// instead of <bindir>/../share/autoarr/web; nullopt when unset or empty.
std::optional<std::string> web_dir(const Environment& env);

// AUTOARR_PLUGIN_PATH: extra plugin directories, colon-separated; nullopt when unset.
std::optional<std::string> plugin_path(const Environment& env);

// AUTOARR_LISTEN: serve's HOST:PORT when --listen is not given; nullopt when unset or empty.
std::optional<std::string> listen_address(const Environment& env);

// AUTOARR_API_TOKEN: the bearer token `autoarr serve` requires; "" when unset.
std::string api_token(const Environment& env);

// The database when no --db names one: AUTOARR_DB, else
// $XDG_DATA_HOME/autoarr/autoarr.db, else $HOME/.local/share/autoarr/autoarr.db,
// else ./autoarr/autoarr.db. The autoarr directory of a default is created.
std::filesystem::path db_path(const Environment& env);

// AUTOARR_RULES: a rule catalog instead of the installed one; nullopt when unset or empty.
std::optional<std::filesystem::path> rules_file(const Environment& env);

// AUTOARR_LOG_LEVEL as written (util/log parses it); nullopt when unset or empty.
std::optional<std::string> log_level(const Environment& env);

// NO_COLOR (no-color.org): set and not empty, so no ANSI colours in text output.
bool no_color(const Environment& env);

// The process environment as a map (for Sources::env).
Environment process_environment();
// Is `name` a variable that may carry a secret? A name that would be a secret
// as a provider setting (…API_KEY, …TOKEN, …SECRET(S), …PASSWORD, …PASSWD,
// …PASSPHRASE, …CREDENTIAL(S), …APIKEY, in any case and spelling), or any …_KEY.
bool secret_variable(std::string_view name);
// A plugin runner's environment (ISO-2), as "NAME=value" entries: `env` without its secret variables,
// so that a plugin in a runner cannot read the host's keys from it; it gets
// its own secret from the host's secret service.
std::vector<std::string> plugin_runner_environment(const Environment& env);

// The shortest API token accepted when the service listens beyond loopback.
inline constexpr std::size_t kMinApiTokenLength = 16;
// Why `token` cannot guard a service that listens beyond loopback, or "" when
// it can: at least kMinApiTokenLength characters, none of them whitespace or
// a control character.
std::string api_token_problem(std::string_view token);

// "true/false/1/0/yes/no/on/off" in any case.
std::optional<bool> parse_bool(std::string_view text);

}  // namespace autoarr::config
