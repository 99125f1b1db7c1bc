// The HTTP API (docs/api.md): health, providers, plugins, audits, chat,
// metrics; and the web UI (docs/ui.md) on every other path outside /api/.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "audit/rule_set.h"
#include "config/config.h"
#include "plugin/plugin_registry.h"
#include "routing/router.h"
#include "server/enrichment_queue.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/static_site.h"
#include "store/store.h"
#include "store/usage_writer.h"

namespace autoarr::server {

struct ApiContext {
    routing::Router* router = nullptr;
    store::Store* store = nullptr;
    store::UsageWriter* usage = nullptr;  // where chat requests' usage rows go; nullptr: not recorded
    const audit::RuleSet* rules = nullptr;
    EnrichmentQueue* enrichment = nullptr;  // explains audits after their 201; nullptr: rules-only
    int explanation_cache_days = 30;
    std::chrono::milliseconds enrich_deadline{3600000};  // a background enrichment's whole budget
    // A streamed audit explains within its response: it ends before the
    // transport's --response-timeout cancels it (serve sets it from that).
    std::chrono::milliseconds stream_enrich_deadline{290000};
    std::map<std::string, config::AppConfig> apps;  // for {"source": "live"}
    std::string sample_stack;                       // for {"source": "sample"}: a stack directory
    std::string api_token;                          // "" = no auth
    boost::json::array plugins;                     // GET /api/v1/plugins: what discovery found at start
    // The web UI, answering every GET outside /api/; nullptr: not installed,
    // and web_missing says why (in the 404 those paths get).
    const StaticSite* web = nullptr;
    std::string web_missing = "the web UI is not installed";
    std::string version;
    Metrics metrics;
    std::atomic<bool> ready{false};
};

Handler make_api(ApiContext& context);

// The routes whose handling may wait on a provider (chat, creating an audit,
// checking a provider): they share the `--workers` slots. Everything else is
// answered at once, even while every slot waits on a slow model.
bool route_may_block(const HttpRequest& request);

}  // namespace autoarr::server
