#include "routing/view_json.h"

namespace autoarr::routing {
namespace json = boost::json;

json::array attempts_array(const std::vector<Attempt>& attempts) {
    json::array arr;
    for (const auto& at : attempts) {
        json::object o;
        o["provider"] = at.provider;
        o["outcome"] = at.outcome;
        if (!at.reason.empty()) o["reason"] = at.reason;
        o["latency_ms"] = at.latency_ms;
        arr.push_back(std::move(o));
    }
    return arr;
}

json::object provider_object(const ProviderView& p) {
    json::object o;
    o["id"] = p.id;
    o["priority"] = p.priority;
    o["state"] = std::string(state_name(p.state));
    if (!p.reason.empty()) o["reason"] = p.reason;
    o["breaker"] = p.breaker;
    json::array models;
    for (const auto& m : p.models) models.emplace_back(m);
    o["models"] = std::move(models);
    if (!p.model.empty()) o["model"] = p.model;
    if (p.context_window > 0) o["context_window"] = p.context_window;
    o["latency_ms"] = p.latency_ms;
    if (!p.isolation.empty()) o["isolation"] = p.isolation;
    if (p.isolation == "process") o["runner_crashes"] = p.runner_crashes;
    if (!p.last_runner_failure.empty()) o["last_runner_failure"] = p.last_runner_failure;
    return o;
}

std::string providers_json(const std::vector<ProviderView>& providers) {
    json::array arr;
    for (const auto& p : providers) arr.push_back(provider_object(p));
    return json::serialize(arr);
}

std::string attempts_json(const std::vector<Attempt>& attempts) {
    return json::serialize(attempts_array(attempts));
}

}  // namespace autoarr::routing
