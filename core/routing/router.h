// Routes each request to the best provider that is working, in a
// deterministic order, with the host's one retry layer and per-request
// fallback (design §5). Every result says who served it and, for every
// provider tried or skipped, why.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "plugin/instance.h"
#include "plugin/plugin_registry.h"
#include "routing/circuit_breaker.h"
#include "routing/clock.h"
#include "routing/retry_policy.h"

namespace autoarr::routing {

enum class ProviderState { starting, healthy, degraded, unhealthy, unavailable, quarantined };
std::string_view state_name(ProviderState s);

struct ProviderSpec {
    ProviderSpec() = default;
    ProviderSpec(std::shared_ptr<plugin::LoadedPlugin> plugin_, std::string config_json_, std::string invalid_reason_,
                 std::string id_ = {})
        : plugin(std::move(plugin_)),
          config_json(std::move(config_json_)),
          invalid_reason(std::move(invalid_reason_)),
          id(std::move(id_)) {}
    std::shared_ptr<plugin::LoadedPlugin> plugin;
    std::string config_json = "{}";  // the plugin's settings
    std::string invalid_reason;      // set when the host's settings for it are invalid
    // The provider id routing, the API and the store know it by; empty: the
    // plugin's id. Several providers may share one plugin (e.g. "lmstudio"
    // and "openrouter" on the openai plugin), each its own instance.
    std::string id;
};

struct RouterOptions {
    std::vector<std::string> order;  // configured order (LLM_PROVIDER first, then LLM_FALLBACK_ORDER)
    // No LLM_PROVIDER: the provider with the lowest manifest priority comes
    // before `order`, so a fallback order alone is "tried next", never first.
    bool lowest_priority_first = false;
    bool fallback_enabled = true;
    RetryPolicy retry;
    std::map<std::string, int> max_retries;  // per-provider override of retry.max_retries
    BreakerConfig breaker;
    std::chrono::milliseconds health_deadline{5000};
    std::chrono::milliseconds default_deadline{120000};
};

struct Attempt {
    std::string provider;
    std::string outcome;  // "ok", "error", "skipped"
    std::string reason;   // empty when ok
    int32_t code = AUTOARR_OK;
    int64_t latency_ms = 0;
};

struct RouteRequest {
    std::string request_json;             // autoarr.chat_request/1
    std::optional<std::string> provider;  // explicit per-request choice: tried first
    std::optional<std::chrono::milliseconds> deadline;
    plugin::CancelToken* cancel = nullptr;
    // "format" is a hint (audits): adapted to each provider's capabilities
    // (routing/format_adapt.h) instead of refused by a provider without them.
    bool format_is_hint = false;
};

struct RouteResult {
    plugin::CallStatus status;  // ok, or the last error
    std::string provider;       // who served it (empty on failure)
    std::string response_json;  // complete(): autoarr.chat_response/1
    std::vector<Attempt> attempts;
    bool partial = false;  // stream(): events reached the caller before the error
};

struct ProviderView {
    std::string id;
    int32_t priority = 0;
    ProviderState state = ProviderState::starting;
    std::string reason;
    std::string breaker;
    int64_t latency_ms = -1;
    std::vector<std::string> models;  // from the last health check, when it lists them
    std::string model;                // the configured model, when the health check names it
    int64_t context_window = 0;       // tokens the provider's model reads per request (0: unknown)
    uint64_t capabilities = 0;        // AUTOARR_CAP_* of the instance (0: no instance)
    std::string isolation;            // "in-process" or "process" (ISO-1)
    uint64_t runner_crashes = 0;      // process isolation: runner failures since load
    std::string last_runner_failure;  // process isolation: the newest failure, kept after the restart
};

class Router {
public:
    // Unknown ids in options.order are an error naming them (returned in error()).
    Router(std::vector<ProviderSpec> providers, RouterOptions options, std::shared_ptr<Clock> clock = nullptr);
    ~Router();

    const std::string& error() const { return error_; }

    // Effective order for a request: its explicit choice, then the
    // configuration, then manifest priority, then id.
    std::vector<std::string> order_for(const std::optional<std::string>& explicit_choice) const;

    RouteResult complete(const RouteRequest& request);
    // on_event(kind, data) receives events; fallback happens only before the
    // first event reached it.
    RouteResult stream(const RouteRequest& request, const plugin::Instance::EventFn& on_event);

    // The provider's model list ("autoarr.models/1" JSON) into out.
    plugin::CallStatus list_models(const std::string& id, std::string& out);

    // Runs one health check on a provider now (or all when id is empty).
    void check_health(const std::string& id = {});
    // An operator's check (POST /api/v1/providers/{id}/check): lifts a
    // quarantined runner's quarantine (ISO-6), then checks it.
    void retry_provider(const std::string& id);
    std::vector<std::string> provider_ids() const;
    std::vector<ProviderView> providers() const;

    // Called (outside any lock) whenever a provider's state changes: the
    // service records these transitions in its store.
    using StateListener = std::function<void(const std::string& id, ProviderState state, const std::string& reason)>;
    void set_state_listener(StateListener listener) { listener_ = std::move(listener); }

private:
    struct Entry;
    template <class CallFn>
    RouteResult route(const RouteRequest& request, bool streaming, CallFn&& call);
    Entry* find(std::string_view id) const;

    void notify(const std::string& id, ProviderState before, ProviderState after, const std::string& reason) const;

    std::vector<std::unique_ptr<Entry>> entries_;
    StateListener listener_;
    RouterOptions options_;
    std::shared_ptr<Clock> clock_;
    std::string error_;
    mutable std::mutex rng_mutex_;
    std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace autoarr::routing
