#include "routing/router.h"

#include <algorithm>
#include <boost/json.hpp>

#include "routing/format_adapt.h"
#include "util/secret_scrubber.h"

namespace autoarr::routing {

using namespace std::chrono;
using plugin::CallStatus;

struct Router::Entry {
    std::string id;
    int32_t priority = 0;
    std::shared_ptr<plugin::LoadedPlugin> plugin;
    std::unique_ptr<plugin::Instance> instance;

    mutable std::mutex mutex;  // guards everything below
    ProviderState state = ProviderState::starting;
    std::string reason;
    CircuitBreaker breaker;
    int64_t latency_ms = -1;
    std::vector<std::string> models;
    std::string model;           // from the last health check that named it
    int64_t context_window = 0;  // likewise
};

std::string_view state_name(ProviderState s) {
    switch (s) {
        case ProviderState::starting:
            return "starting";
        case ProviderState::healthy:
            return "healthy";
        case ProviderState::degraded:
            return "degraded";
        case ProviderState::unhealthy:
            return "unhealthy";
        case ProviderState::unavailable:
            return "unavailable";
        case ProviderState::quarantined:
            return "quarantined";
    }
    return "?";
}

Router::Router(std::vector<ProviderSpec> providers, RouterOptions options, std::shared_ptr<Clock> clock)
    : options_(std::move(options)), clock_(clock ? std::move(clock) : std::make_shared<SteadyClock>()) {
    for (auto& spec : providers) {
        auto e = std::make_unique<Entry>();
        e->id = spec.id.empty() ? spec.plugin->id() : spec.id;
        e->priority = spec.plugin->manifest().priority;
        e->plugin = spec.plugin;
        e->breaker = CircuitBreaker(options_.breaker);
        if (!spec.invalid_reason.empty()) {
            e->state = ProviderState::unavailable;
            e->reason = spec.invalid_reason;
        } else {
            CallStatus st;
            e->instance = plugin::Instance::create(spec.plugin, spec.config_json, st);
            if (!e->instance) {
                e->state = ProviderState::unavailable;
                e->reason = std::string(plugin::code_name(st.code)) + ": " + st.message;
            }
        }
        entries_.push_back(std::move(e));
    }
    for (const auto& id : options_.order) {
        if (!find(id)) {
            std::string known;
            for (const auto& e : entries_) known += (known.empty() ? "" : ", ") + e->id;
            error_ = "unknown provider \"" + id + "\" (loaded providers: " + (known.empty() ? "none" : known) + ")";
            break;
        }
    }
}

Router::~Router() = default;

Router::Entry* Router::find(std::string_view id) const {
    for (const auto& e : entries_)
        if (e->id == id) return e.get();
    return nullptr;
}

std::vector<std::string> Router::order_for(const std::optional<std::string>& explicit_choice) const {
    std::vector<std::string> out;
    auto add = [&](const std::string& id) {
        if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    };
    std::vector<const Entry*> by_priority;
    for (const auto& e : entries_) by_priority.push_back(e.get());
    std::sort(by_priority.begin(), by_priority.end(), [](const Entry* a, const Entry* b) {
        return a->priority != b->priority ? a->priority < b->priority : a->id < b->id;
    });
    if (explicit_choice) add(*explicit_choice);
    if (options_.lowest_priority_first && !by_priority.empty()) add(by_priority.front()->id);
    for (const auto& id : options_.order) add(id);
    for (const Entry* e : by_priority) add(e->id);
    return out;
}

template <class CallFn>
RouteResult Router::route(const RouteRequest& req, bool streaming, CallFn&& call) {
    RouteResult result;
    if (req.provider && !find(*req.provider)) {
        result.status =
            CallStatus{AUTOARR_ERR_INVALID_ARGUMENT, 0, -1, 0, "unknown provider \"" + *req.provider + "\""};
        return result;
    }
    const TimePoint deadline = clock_->now() + req.deadline.value_or(options_.default_deadline);
    std::vector<std::string> order = order_for(req.provider);
    if (!options_.fallback_enabled) order.resize(1);
    result.status = CallStatus{AUTOARR_ERR_UNAVAILABLE, 0, -1, 0, "no provider is available"};

    // One provider, with its retries. True when the request is finished (served,
    // partial, cancelled, out of time); false when the next provider may be tried.
    auto attempt = [&](const std::string& id, Entry* e) -> bool {
        for (int retry = 0;; ++retry) {
            const TimePoint start = clock_->now();
            if (start >= deadline) {
                result.status = CallStatus{AUTOARR_ERR_DEADLINE_EXCEEDED, 0, -1, 0, "the request deadline passed"};
                return true;
            }
            const int64_t deadline_ns =
                plugin::monotonic_now_ns() + duration_cast<nanoseconds>(deadline - start).count();
            plugin::CallContext ctx(deadline_ns, req.cancel);
            std::string response;
            bool delivered = false;
            CallStatus st = call(*e->instance, ctx, response, delivered);
            const int64_t ms = duration_cast<milliseconds>(clock_->now() - start).count();
            ProviderState before, after;
            std::string reason_now;
            {
                std::lock_guard lock(e->mutex);
                before = e->state;
                e->latency_ms = ms;
                if (st.ok()) {
                    e->breaker.on_success();
                    e->state = ProviderState::healthy;
                    e->reason.clear();
                } else {
                    e->reason = std::string(plugin::code_name(st.code)) + ": " + st.message;
                    if (st.code == AUTOARR_ERR_AUTH_FAILED || (st.flags & AUTOARR_ERROR_FLAG_AUTH_FAILED))
                        e->state = ProviderState::unhealthy;
                    if (st.code != AUTOARR_ERR_CANCELLED && !(st.code == AUTOARR_ERR_DEADLINE_EXCEEDED))
                        e->breaker.on_failure(clock_->now(), milliseconds(std::max<int64_t>(0, st.retry_after_ms)));
                }
                after = e->state;
                reason_now = e->reason;
            }
            notify(id, before, after, reason_now);
            // reason_now was read under the lock: e->reason may be rewritten by a health check meanwhile.
            result.attempts.push_back({id, st.ok() ? "ok" : "error", st.ok() ? "" : reason_now, st.code, ms});
            if (st.ok()) {
                result.status = st;
                result.provider = id;
                result.response_json = std::move(response);
                return true;
            }
            result.status = st;
            if (st.message.rfind(id + ":", 0) != 0) result.status.message = id + ": " + st.message;
            if (delivered) {  // after the first token: surface the error, never switch
                result.partial = true;
                result.provider = id;
                return true;
            }
            if (st.code == AUTOARR_ERR_CANCELLED || st.code == AUTOARR_ERR_DEADLINE_EXCEEDED) return true;
            auto mr = options_.max_retries.find(id);
            const int max_retries = mr != options_.max_retries.end() ? mr->second : options_.retry.max_retries;
            if (!is_retryable(st) || retry >= max_retries) return false;
            double jitter;
            {
                std::lock_guard lock(rng_mutex_);
                jitter = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
            }
            const TimePoint wake = clock_->now() + options_.retry.delay(retry, st.retry_after_ms, jitter);
            if (wake >= deadline) return false;  // no point sleeping past the deadline
            if (!clock_->sleep_until(wake, req.cancel)) {
                result.status = CallStatus{AUTOARR_ERR_CANCELLED, 0, -1, 0, "the request was cancelled"};
                return true;
            }
        }
    };

    // Providers skipped because their last health check failed, in order: when
    // nothing else could be tried, the first of them is tried anyway (below).
    std::vector<std::string> skipped_unhealthy;
    bool tried = false;
    const uint64_t needs = required_capabilities(req.request_json, req.format_is_hint);
    for (const std::string& id : order) {
        Entry* e = find(id);
        {
            std::lock_guard lock(e->mutex);
            std::string skip;
            const bool lacks = e->instance && (needs & ~e->instance->capability_flags()) != 0;
            if (!e->instance) skip = e->reason;
            // Never send a field the instance did not declare (docs/payloads.md).
            else if (lacks)
                skip = "does not support " + describe_capabilities(needs & ~e->instance->capability_flags());
            // A runner that failed is restarted by the next call once its backoff passed; a quarantined one is not.
            else if (auto av = e->instance->availability(); av.quarantined)
                skip = "quarantined: " + av.reason;
            // Known down (last health check, or rejected credentials): cost the caller nothing.
            else if (e->state == ProviderState::unhealthy || e->state == ProviderState::unavailable)
                skip = std::string(state_name(e->state)) + ": " + e->reason;
            else if (streaming && !e->instance->can_stream())
                skip = "does not support streaming";
            else if (!e->breaker.allow(clock_->now()))
                skip = "circuit open (" + std::to_string(e->breaker.consecutive_failures()) +
                       " consecutive failures; last: " + e->reason + ")";
            if (!skip.empty()) {
                if (e->instance && !lacks && e->state == ProviderState::unhealthy &&
                    (!streaming || e->instance->can_stream()))
                    skipped_unhealthy.push_back(id);
                const int32_t code = lacks ? AUTOARR_ERR_UNSUPPORTED : AUTOARR_ERR_UNAVAILABLE;
                result.attempts.push_back({id, "skipped", skip, code, 0});
                result.status = CallStatus{code, 0, -1, 0, id + ": " + skip};
                continue;
            }
        }
        tried = true;
        if (attempt(id, e)) return result;
        if (!allows_fallback(result.status)) break;
    }
    // Last resort: every provider was skipped and at least one only because a
    // health check failed. A check is a sample, seconds old: rather than answer
    // "unavailable" without a call, try the first of them, unless its breaker
    // is open (then it failed real calls just now, and the breaker decides).
    if (!tried && !skipped_unhealthy.empty()) {
        const std::string& id = skipped_unhealthy.front();
        Entry* e = find(id);
        bool allowed;
        {
            std::lock_guard lock(e->mutex);
            allowed = e->breaker.allow(clock_->now());
        }
        if (allowed) {
            for (auto& a : result.attempts)
                if (a.provider == id && a.outcome == "skipped") a.reason += "; tried as a last resort";
            attempt(id, e);
        }
    }
    return result;
}

namespace {
// The request as this provider should see it (RouteRequest::format_is_hint).
const std::string& request_for(const RouteRequest& req, const plugin::Instance& inst, std::string& adapted) {
    if (req.format_is_hint && adapt_format_to_capabilities(req.request_json, inst.capability_flags(), adapted))
        return adapted;
    return req.request_json;
}
}  // namespace

RouteResult Router::complete(const RouteRequest& req) {
    return route(req, false, [&](plugin::Instance& inst, const plugin::CallContext& ctx, std::string& out, bool&) {
        std::string adapted;
        return inst.complete(ctx, request_for(req, inst, adapted), out);
    });
}

RouteResult Router::stream(const RouteRequest& req, const plugin::Instance::EventFn& on_event) {
    return route(req, true, [&](plugin::Instance& inst, const plugin::CallContext& ctx, std::string&, bool& delivered) {
        std::string adapted;
        return inst.stream(ctx, request_for(req, inst, adapted), [&](uint32_t kind, std::string_view data) {
            delivered = true;
            return on_event(kind, data);
        });
    });
}

CallStatus Router::list_models(const std::string& id, std::string& out) {
    Entry* e = find(id);
    if (!e) return CallStatus{AUTOARR_ERR_INVALID_ARGUMENT, 0, -1, 0, "unknown provider \"" + id + "\""};
    if (!e->instance) {
        std::lock_guard lock(e->mutex);
        return CallStatus{AUTOARR_ERR_UNAVAILABLE, 0, -1, 0, e->reason};
    }
    plugin::CallContext ctx(plugin::monotonic_now_ns() + duration_cast<nanoseconds>(seconds(5)).count());
    return e->instance->list_models(ctx, out);
}

void Router::check_health(const std::string& id) {
    for (auto& e : entries_) {
        if (!id.empty() && e->id != id) continue;
        if (!e->instance) continue;
        const auto start = std::chrono::steady_clock::now();
        plugin::CallContext ctx(plugin::monotonic_now_ns() +
                                duration_cast<nanoseconds>(options_.health_deadline).count());
        std::string detail;
        CallStatus st = e->instance->health(ctx, detail);
        const int64_t ms = duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();

        ProviderState state = ProviderState::unhealthy;
        std::string reason;
        std::vector<std::string> models;
        std::string model;
        int64_t window = 0;
        if (st.ok()) {
            // autoarr.health/1: {"status": "healthy"|"degraded", "reason": "...", "models": [...]}
            boost::json::error_code ec;
            boost::json::value v = boost::json::parse(detail, ec);
            const boost::json::object* o = (!ec && v.is_object()) ? &v.get_object() : nullptr;
            const boost::json::value* status = o ? o->if_contains("status") : nullptr;
            if (!status || !status->is_string()) {
                reason =
                    "health detail is not an autoarr.health/1 object: " + util::safe_error_text(detail.substr(0, 200));
            } else {
                state = status->get_string() == "degraded" ? ProviderState::degraded : ProviderState::healthy;
                if (const auto* r = o->if_contains("reason"); r && r->is_string())
                    reason = util::safe_error_text(r->get_string());  // a plugin's text, shown and stored
                if (const auto* m = o->if_contains("models"); m && m->is_array())
                    for (const auto& x : m->get_array())
                        if (x.is_string()) models.emplace_back(x.get_string());
                if (const auto* m = o->if_contains("model"); m && m->is_string()) model = std::string(m->get_string());
                if (const auto* w = o->if_contains("context_window"); w && w->is_int64() && w->get_int64() > 0)
                    window = w->get_int64();
            }
        } else {
            reason = std::string(plugin::code_name(st.code)) + ": " + st.message;
            if (st.code == AUTOARR_ERR_UNSUPPORTED || st.code == AUTOARR_ERR_CONFIG_INVALID)
                state = ProviderState::unavailable;
        }
        // ISO-4: a runner that failed makes the provider unavailable (quarantined) with the runner's reason.
        if (auto av = e->instance->availability(); !av.available) {
            state = av.quarantined ? ProviderState::quarantined : ProviderState::unavailable;
            reason = av.reason;
        }
        ProviderState before;
        {
            std::lock_guard lock(e->mutex);
            before = e->state;
            e->latency_ms = ms;
            e->state = state;
            e->reason = reason;
            if (!models.empty()) e->models = std::move(models);
            if (!model.empty()) e->model = std::move(model);
            if (window > 0) e->context_window = window;
        }
        notify(e->id, before, state, reason);
    }
}

void Router::retry_provider(const std::string& id) {
    if (Entry* e = find(id); e && e->instance && e->instance->retry()) {
        std::lock_guard lock(e->mutex);
        e->breaker.on_success();  // the quarantine's failures opened it; the operator asked for a fresh start
    }
    check_health(id);
}

void Router::notify(const std::string& id, ProviderState before, ProviderState after, const std::string& reason) const {
    if (before == after || !listener_) return;
    try {
        listener_(id, after, reason);
    } catch (...) {
    }
}

std::vector<std::string> Router::provider_ids() const {
    std::vector<std::string> ids;
    for (const auto& e : entries_) ids.push_back(e->id);
    return ids;
}

std::vector<ProviderView> Router::providers() const {
    std::vector<ProviderView> out;
    for (const std::string& id : order_for(std::nullopt)) {
        const Entry* e = find(id);
        const plugin::Availability av = e->instance ? e->instance->availability() : plugin::Availability{};
        std::lock_guard lock(e->mutex);
        ProviderView v{e->id,
                       e->priority,
                       e->state,
                       e->reason,
                       std::string(breaker_state_name(e->breaker.state(clock_->now()))),
                       e->latency_ms,
                       e->models,
                       e->model,
                       e->context_window,
                       e->instance ? e->instance->capability_flags() : 0,
                       e->plugin->isolation(),
                       av.runner_crashes,
                       av.last_failure};
        // ISO-4: the runner's state is current; the last health check may be older.
        if (!av.available) {
            v.state = av.quarantined ? ProviderState::quarantined : ProviderState::unavailable;
            v.reason = av.reason;
        }
        out.push_back(std::move(v));
    }
    return out;
}

}  // namespace autoarr::routing
