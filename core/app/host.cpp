#include "app/host.h"

#include "app/cli_args.h"
#include "app/plugins_command.h"
#include "util/secret_scrubber.h"

namespace autoarr::app {

std::set<std::string> with_host_flags(std::set<std::string> valued) {
    valued.insert({"--plugin-dir", "--config", "--provider"});
    return valued;
}

HostOptions host_options(const CliArgs& a) {
    HostOptions o;
    o.plugin_dirs = a.values("--plugin-dir");
    o.builtin_plugins = !a.has("--no-builtin-plugins");
    o.config_file = a.value("--config");
    return o;
}

std::unique_ptr<Host> build_host(const HostOptions& o) {
    auto host = std::make_unique<Host>();
    config::Sources sources;
    sources.env = config::process_environment();
    if (o.config_file) sources.file = *o.config_file;
    sources.provider_flag = o.provider;
    host->config = config::load(sources);
    host->errors = host->config.errors;
    // Every configured secret is scrubbed from errors, documents and stored attempts.
    for (const auto& [name, app] : host->config.apps) util::process_secrets().add(app.api_key);
    for (const auto& [id, pc] : host->config.providers)
        for (const auto& [name, value] : pc.secrets) util::process_secrets().add(value);

    host->registry = plugin::PluginRegistry::discover(search_path_from(o.plugin_dirs, o.builtin_plugins));

    std::vector<routing::ProviderSpec> specs;
    routing::RouterOptions ro;
    ro.fallback_enabled = host->config.fallback_enabled;
    for (const auto& p : host->registry.loaded()) {
        routing::ProviderSpec spec;
        spec.plugin = p;
        if (const auto* pc = host->config.provider_config(p->id())) {
            spec.config_json = boost::json::serialize(pc->settings);
            spec.invalid_reason = pc->invalid_reason;
            if (pc->max_retries) ro.max_retries[p->id()] = *pc->max_retries;
            // Secrets reach the plugin only through get_secret (ABI-16).
            auto secrets = pc->secrets;
            p->host_context().secret = [secrets](std::string_view name) -> std::optional<std::string> {
                auto it = secrets.find(std::string(name));
                if (it == secrets.end()) return std::nullopt;
                return it->second;
            };
        }
        specs.push_back(std::move(spec));
    }
    // Configured names that no loaded plugin provides are errors, never
    // silently replaced by another provider.
    for (const auto& id : host->config.order()) {
        if (host->registry.find(id)) {
            ro.order.push_back(id);
            continue;
        }
        if (id == host->config.provider && !host->config.provider_explicit) continue;  // an unused default
        std::string known;
        for (const auto& p : host->registry.loaded()) known += (known.empty() ? "" : ", ") + p->id();
        host->errors.push_back("unknown provider \"" + id + "\" in LLM_PROVIDER/LLM_FALLBACK_ORDER (loaded: " +
                               (known.empty() ? "none" : known) + ")");
    }
    host->router = std::make_unique<routing::Router>(std::move(specs), std::move(ro));
    return host;
}

}  // namespace autoarr::app
