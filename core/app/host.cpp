#include "app/host.h"

#include <map>
#include <set>

#include "app/cli_args.h"
#include "app/plugins_command.h"
#include "util/secret_scrubber.h"

namespace autoarr::app {

std::set<std::string> with_host_flags(std::set<std::string> valued) {
    valued.insert({"--plugin-dir", "--config", "--provider", "--trusted-keys"});
    return valued;
}

HostOptions host_options(const CliArgs& a) {
    HostOptions o;
    o.plugin_dirs = a.values("--plugin-dir");
    o.builtin_plugins = !a.has("--no-builtin-plugins");
    o.config_file = a.value("--config");
    o.trusted_keys = a.value("--trusted-keys");
    return o;
}

std::unique_ptr<Host> build_host(const HostOptions& o) {
    auto host = std::make_unique<Host>();
    config::Sources sources;
    sources.env = config::process_environment();
    if (o.config_file) sources.file = *o.config_file;
    sources.provider_flag = o.provider;
    // Twice: the plugin directories' settings (signatures, isolation) come from
    // the configuration, and AUTOARR_PROVIDER_<ID>_<KEY> may name any plugin
    // that then loaded. The first reading ignores the provider variables.
    const config::PluginSettings plugin_settings = config::load(sources).plugins;
    host->registry =
        plugin::PluginRegistry::discover(search_path_from(o.plugin_dirs, o.builtin_plugins, plugin_settings),
                                         loader_options(plugin_settings, o.trusted_keys));
    sources.known_provider_ids.emplace();
    for (const auto& p : host->registry.loaded()) sources.known_provider_ids->push_back(p->id());
    host->config = config::load(sources);
    host->errors = host->config.errors;
    // Every configured secret is scrubbed from errors, documents and stored attempts.
    for (const auto& [name, app] : host->config.apps) util::process_secrets().add(app.api_key);
    for (const auto& [id, pc] : host->config.providers)
        for (const auto& [name, value] : pc.secrets) util::process_secrets().add(value);

    std::vector<routing::ProviderSpec> specs;
    routing::RouterOptions ro;
    ro.fallback_enabled = host->config.fallback_enabled;
    std::set<std::string> provider_ids;
    for (const auto& p : host->registry.loaded()) {
        // This plugin's providers: every configured one that names it, else
        // one provider with the plugin's own id (and no settings).
        std::vector<std::pair<std::string, const config::ProviderConfig*>> instances;
        for (const auto& [id, pc] : host->config.providers)
            if (pc.plugin == p->id()) instances.emplace_back(id, &pc);
        if (instances.empty()) instances.emplace_back(p->id(), nullptr);
        // One secret scope per plugin (ABI-16): each provider's secrets as
        // "<provider id>.<name>", and the plugin's own id's also as "<name>".
        std::map<std::string, std::string> secrets;
        for (const auto& [id, pc] : instances) {
            routing::ProviderSpec spec;
            spec.plugin = p;
            spec.id = id;
            boost::json::object settings = pc ? pc->settings : boost::json::object{};
            settings["provider_id"] = id;  // host-set (docs/configuration.md): the id the plugin reports as
            spec.config_json = boost::json::serialize(settings);
            if (pc) {
                spec.invalid_reason = pc->invalid_reason;
                if (pc->max_retries) ro.max_retries[id] = *pc->max_retries;
                for (const auto& [name, value] : pc->secrets) {
                    secrets[id + "." + name] = value;
                    if (id == p->id()) secrets[name] = value;
                }
            }
            provider_ids.insert(id);
            specs.push_back(std::move(spec));
        }
        // Secrets reach the plugin only through get_secret (ABI-16).
        p->host_context().secret = [secrets](std::string_view name) -> std::optional<std::string> {
            auto it = secrets.find(std::string(name));
            if (it == secrets.end()) return std::nullopt;
            return it->second;
        };
    }
    for (const auto& [id, pc] : host->config.providers)
        if (pc.plugin != id && !host->registry.find(pc.plugin))
            host->errors.push_back("provider \"" + id + "\" names plugin \"" + pc.plugin + "\", which is not loaded");
    // LLM_PROVIDER unset: the lowest manifest priority goes first (Ollama
    // among the first-party plugins), before any fallback order.
    ro.lowest_priority_first = !host->config.provider_explicit;
    // Configured names that no provider has are errors, never silently
    // replaced by another provider.
    for (const auto& id : host->config.order()) {
        if (provider_ids.count(id)) {
            ro.order.push_back(id);
            continue;
        }
        std::string known;
        for (const auto& k : provider_ids) known += (known.empty() ? "" : ", ") + k;
        host->errors.push_back("unknown provider \"" + id + "\" in LLM_PROVIDER/LLM_FALLBACK_ORDER (loaded: " +
                               (known.empty() ? "none" : known) + ")");
    }
    host->router = std::make_unique<routing::Router>(std::move(specs), std::move(ro));
    return host;
}

}  // namespace autoarr::app
