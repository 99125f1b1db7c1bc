#include "server/api.h"

#include <boost/json.hpp>
#include <chrono>
#include <sstream>

#include "audit/audit_run.h"
#include "connectors/live.h"
#include "routing/view_json.h"
#include "server/fix_routes.h"
#include "server/json_body.h"
#include "util/log.h"
#include "util/secret_scrubber.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace autoarr::server {
namespace json = boost::json;

namespace {

HttpResponse json_response(int status, const json::value& v) {
    HttpResponse r;
    r.status = status;
    r.body = json::serialize(v);
    return r;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i)
        diff |= static_cast<unsigned char>((i < a.size() ? a[i] : 0) ^ (i < b.size() ? b[i] : 0));
    return diff == 0;
}

// A runner failure's kind, for a metric label: SIGSEGV, SIGABRT, exit, deadline, frame, channel, load, other.
std::string runner_failure_kind(const std::string& reason) {
    auto sig = reason.rfind("(SIG");
    if (reason.find("ignored its") != std::string::npos) return "deadline";
    if (reason.find("malformed frame") != std::string::npos) return "frame";
    if (reason.find("closed its channel") != std::string::npos) return "channel";
    if (sig != std::string::npos) {
        auto end = reason.find(')', sig);
        if (end != std::string::npos) return reason.substr(sig + 1, end - sig - 1);
    }
    if (reason.find("exited with status") != std::string::npos) return "exit";
    if (reason.find("restarted") != std::string::npos || reason.find("loading") != std::string::npos) return "load";
    return "other";
}

// /api/v1/providers/{id}/check, with a non-empty id.
bool is_provider_check(std::string_view p) {
    return p.size() > 24 && p.starts_with("/api/v1/providers/") && p.ends_with("/check");
}

// A provider failure as an HTTP status (docs/api.md).
int status_for(const plugin::CallStatus& s) {
    switch (s.code) {
        case AUTOARR_ERR_RATE_LIMITED:
            return 429;
        case AUTOARR_ERR_DEADLINE_EXCEEDED:
            return 504;
        case AUTOARR_ERR_INVALID_ARGUMENT:
        case AUTOARR_ERR_NOT_FOUND:
        case AUTOARR_ERR_REQUEST_TOO_LARGE:
        case AUTOARR_ERR_UNSUPPORTED:  // e.g. tools, and no provider has AUTOARR_CAP_TOOLS (ABI-20)
            return 422;
        case AUTOARR_ERR_UNAVAILABLE:
        case AUTOARR_ERR_CONFIG_INVALID:
        case AUTOARR_ERR_AUTH_FAILED:
        case AUTOARR_ERR_PERMISSION_DENIED:
        case AUTOARR_ERR_CANCELLED:
            return 503;
        default:
            return 502;
    }
}

// {"code", "message"}: the inside of every error body and error event (docs/api.md).
// The message may carry an upstream's words: bounded, valid UTF-8, no known secret.
json::object error_object(std::string_view code, std::string_view message) {
    return json::object{{"code", code}, {"message", util::safe_error_text(message)}};
}

// A failed provider call as an error response that lists the attempts.
HttpResponse provider_failure(const routing::RouteResult& r) {
    HttpResponse e;
    e.status = status_for(r.status);
    e.body = json::serialize(json::object{{"error", error_object("provider_failed", r.status.message)},
                                          {"attempts", routing::attempts_array(r.attempts)}});
    return e;
}

std::string sse(const std::string& event, const json::value& data) {
    return "event: " + event + "\ndata: " + json::serialize(data) + "\n\n";
}

class Api {
public:
    explicit Api(ApiContext& c) : c_(c), fixes_(c) {}

    void operator()(const HttpRequest& req, ResponseWriter& w) {
        const auto start = std::chrono::steady_clock::now();
        std::string route;
        int status = handle(req, w, route);
        c_.metrics.request(route, status,
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }

private:
    struct Tracked : ResponseWriter {
        ResponseWriter& inner;
        int status = 0;
        explicit Tracked(ResponseWriter& w) : inner(w) {}
        void send(const HttpResponse& r) override {
            status = r.status;
            inner.send(r);
        }
        bool start_stream(int s, const std::string& ct) override {
            status = s;
            return inner.start_stream(s, ct);
        }
        bool write(std::string_view chunk) override { return inner.write(chunk); }
        void end_stream() override { inner.end_stream(); }
    };

    int handle(const HttpRequest& req, ResponseWriter& outer, std::string& route) {
        Tracked w(outer);
        const std::string& p = req.path;
        auto method = [&](std::initializer_list<const char*> allowed) {
            for (const char* m : allowed)
                if (req.method == m) return true;
            std::string allow;
            for (const char* m : allowed) allow += (allow.empty() ? "" : ", ") + std::string(m);
            auto r = HttpServer::error(405, "method_not_allowed",
                                       req.method + " is not allowed on " + p + " (allowed: " + allow + ")");
            r.headers.emplace_back("Allow", allow);
            w.send(r);
            return false;
        };
        if (p.rfind("/api/", 0) == 0 && !c_.api_token.empty()) {
            auto it = req.headers.find("authorization");
            if (it == req.headers.end() || !constant_time_equal(it->second, "Bearer " + c_.api_token)) {
                route = "auth";
                auto r = HttpServer::error(401, "unauthorized",
                                           "a valid 'Authorization: Bearer <token>' header is required");
                r.headers.emplace_back("WWW-Authenticate", "Bearer");
                w.send(r);
                return w.status;
            }
        }
        if (fixes_.handle(req, w, route)) {
            // answered: the fix routes (server/fix_routes.h)
        } else if (p == "/health") {
            route = "/health";
            if (method({"GET"})) health(w);
        } else if (p == "/health/live") {
            route = p;
            if (method({"GET"})) w.send(json_response(200, json::object{{"status", "alive"}}));
        } else if (p == "/health/ready") {
            route = p;
            if (method({"GET"})) {
                const std::string store_problem = c_.ready && c_.store ? c_.store->readiness() : "";
                w.send(!c_.ready ? HttpServer::error(503, "not_ready", "plugins or the store are not ready yet")
                       : !store_problem.empty() ? HttpServer::error(503, "not_ready", store_problem)
                                                : json_response(200, json::object{{"status", "ready"}}));
            }
        } else if (p == "/metrics") {
            route = p;
            if (method({"GET"})) {
                HttpResponse r;
                r.content_type = "text/plain; version=0.0.4";
                r.body = c_.metrics.render() + usage_metrics() + runner_metrics();
                w.send(r);
            }
        } else if (p == "/api/v1/providers") {
            route = p;
            if (method({"GET"})) {
                HttpResponse r;
                r.body = routing::providers_json(c_.router->providers());
                w.send(r);
            }
        } else if (p == "/api/v1/sources") {
            route = p;
            if (method({"GET"})) sources(w);
        } else if (p == "/api/v1/plugins") {
            route = p;
            if (method({"GET"})) w.send(json_response(200, json::object{{"plugins", c_.plugins}}));
        } else if (is_provider_check(p)) {
            route = "/api/v1/providers/{id}/check";
            if (method({"POST"})) check_provider(p.substr(18, p.size() - 24), w);
        } else if (p == "/api/v1/audits") {
            route = p;
            if (req.method == "GET")
                list_audits(req, w);
            else if (method({"GET", "POST"}))
                post_audit(req, w);
        } else if (p.rfind("/api/v1/audits/", 0) == 0) {
            route = "/api/v1/audits/{id}";
            if (method({"GET"})) get_audit(p.substr(15), req, w);
        } else if (p == "/api/v1/chat") {
            route = p;
            if (method({"POST"})) chat(req, w);
        } else if (!p.starts_with("/api/")) {
            route = "ui";  // one label for every page and asset: the metric stays small
            if (!method({"GET"})) return w.status;
            if (c_.web)
                w.send(c_.web->answer(req));
            else
                w.send(HttpServer::error(404, "no_web_ui", c_.web_missing));
        } else {
            route = "unknown";
            w.send(HttpServer::error(404, "not_found", "no route " + p));
        }
        return w.status;
    }

    std::string usage_metrics() const {
        if (!c_.usage) return {};
        const auto st = c_.usage->stats();
        return Metrics::counter_family(
            "autoarr_usage_rows_total",
            "Request usage rows by fate: written to the store, failed (given up after retries), dropped (queue full).",
            "fate", {{"written", st.written}, {"failed", st.failed}, {"dropped", st.dropped}});
    }

    // Process-isolated providers (ISO-4): runner failures, and which are quarantined and why, by kind of failure.
    std::string runner_metrics() const {
        std::ostringstream o;
        std::vector<std::pair<std::string, unsigned long long>> crashes;
        std::string quarantined;
        for (const auto& v : c_.router->providers()) {
            if (v.isolation != "process") continue;
            crashes.emplace_back(v.id, v.runner_crashes);
            const bool q = v.state == routing::ProviderState::quarantined;
            quarantined += "autoarr_provider_quarantined{provider=\"" + v.id + "\",reason=\"" +
                           (q ? runner_failure_kind(v.reason) : std::string("none")) + "\"} " + (q ? "1" : "0") + "\n";
        }
        if (crashes.empty()) return {};
        o << Metrics::counter_family("autoarr_plugin_runner_failures_total",
                                     "Runner failures (crash, exit, hang, bad frame) of process-isolated providers.",
                                     "provider", crashes);
        o << "# HELP autoarr_provider_quarantined A provider quarantined after repeated runner failures (1), by the "
             "last failure's kind.\n# TYPE autoarr_provider_quarantined gauge\n"
          << quarantined;
        return o.str();
    }

    void health(ResponseWriter& w) {
        json::object providers;
        bool any_up = false;
        for (const auto& v : c_.router->providers()) {
            std::string state(routing::state_name(v.state));
            providers[v.id] = state;
            c_.metrics.provider_state(v.id, state);
            any_up =
                any_up || v.state == routing::ProviderState::healthy || v.state == routing::ProviderState::degraded;
        }
        // Audits still work rules-only without a provider: that is degraded, not down.
        std::string status = !c_.ready ? "unhealthy" : any_up ? "healthy" : "degraded";
        w.send(json_response(200, json::object{{"status", status}, {"version", c_.version}, {"providers", providers}}));
    }

    // What POST /api/v1/audits can take as "source" here, the preferred first.
    void sources(ResponseWriter& w) {
        json::array list;
        if (!c_.apps.empty()) {
            json::array apps;
            for (const auto& [name, app] : c_.apps) apps.push_back(json::string(name));
            list.push_back(json::object{{"id", "live"}, {"applications", std::move(apps)}});
        }
        if (!c_.sample_stack.empty()) list.push_back(json::object{{"id", "sample"}});
        w.send(json_response(200, json::object{{"sources", std::move(list)}}));
    }

    void check_provider(const std::string& id, ResponseWriter& w) {
        auto ids = c_.router->provider_ids();
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
            w.send(HttpServer::error(404, "unknown_provider", "no provider \"" + id + "\""));
            return;
        }
        c_.router->retry_provider(id);  // also lifts a quarantine (ISO-6)
        for (const auto& v : c_.router->providers())
            if (v.id == id) {
                std::string state(routing::state_name(v.state));
                c_.metrics.provider_state(id, state);  // transitions reach the store via the router's listener
                w.send(json_response(200, routing::provider_object(v)));
            }
    }

    void list_audits(const HttpRequest& req, ResponseWriter& w) {
        auto number = [&](const char* name, int64_t def, int64_t lo, int64_t hi) -> std::optional<int64_t> {
            auto it = req.query.find(name);
            if (it == req.query.end()) return def;
            auto v = util::parse_int(it->second);
            if (!v || *v < lo || *v > hi) return std::nullopt;
            return v;
        };
        auto limit = number("limit", 20, 1, 200), offset = number("offset", 0, 0, INT64_MAX);
        if (!limit || !offset) {
            w.send(HttpServer::error(422, "invalid_query", "limit must be 1..200 and offset a non-negative integer"));
            return;
        }
        json::array list;
        for (const auto& a : c_.store->audits(*limit, *offset))
            list.push_back(json::object{
                {"audit_id", a.id},
                {"created_at", a.created_at},
                {"mode", a.mode},
                {"provider", a.provider.empty() ? json::value(nullptr) : json::value(a.provider)},
                {"score", a.score},
                {"findings", a.findings},
                {"enrichment_state",
                 a.enrichment_state.empty() ? json::value(nullptr) : json::value(a.enrichment_state)},
                {"summary",
                 json::object{{"critical", a.critical}, {"high", a.high}, {"medium", a.medium}, {"low", a.low}}}});
        w.send(json_response(200, json::object{{"audits", list}, {"total", c_.store->audit_count()}}));
    }

    // ?format=json (the default) or markdown: the same Markdown as `autoarr audit --format markdown`.
    void get_audit(const std::string& id, const HttpRequest& req, ResponseWriter& w) {
        const auto format = req.query.find("format");
        const std::string wanted = format == req.query.end() ? "json" : format->second;
        if (wanted != "json" && wanted != "markdown")
            return w.send(
                HttpServer::error(422, "invalid_query",
                                  "format must be json or markdown, not \"" + util::safe_error_text(wanted) + "\""));
        auto a = c_.store->audit(id);
        if (!a) {
            w.send(HttpServer::error(404, "unknown_audit", "no audit \"" + id + "\""));
            return;
        }
        HttpResponse r;
        if (wanted == "markdown") {
            json::error_code ec;
            auto stored = json::parse(a->report_json, ec);
            if (ec || !stored.is_object())
                return w.send(
                    HttpServer::error(500, "stored_audit_unreadable", "the stored audit is not a JSON object"));
            r.content_type = "text/markdown; charset=utf-8";
            r.body = audit::report_markdown(audit::report_from_json(stored.get_object()));
        } else {
            r.body = a->report_json;
        }
        w.send(r);
    }

    void post_audit(const HttpRequest& req, ResponseWriter& w) {
        auto body = json_object_body(req, w);
        if (!body) return;
        std::optional<std::string> provider;
        if (const auto* p = body->if_contains("provider"); p && !p->is_null()) {
            if (!p->is_string())
                return w.send(HttpServer::error(422, "invalid_field", "\"provider\" must be a string"));
            provider = std::string(p->get_string());
            auto ids = c_.router->provider_ids();
            if (std::find(ids.begin(), ids.end(), *provider) == ids.end())
                return w.send(HttpServer::error(422, "unknown_provider", "no provider \"" + *provider + "\""));
        }
        const auto* source = body->if_contains("source");
        const auto* documents = body->if_contains("documents");
        if ((source == nullptr) == (documents == nullptr))
            return w.send(
                HttpServer::error(422, "invalid_body", "give exactly one of \"source\": \"live\" or \"documents\""));
        const bool stream =
            req.headers.count("accept") && req.headers.at("accept").find("text/event-stream") != std::string::npos;
        if (stream && !w.start_stream(200, "text/event-stream")) return;
        auto progress = [&](const char* stage) {
            if (stream) w.write(sse("progress", json::object{{"stage", stage}}));
        };

        connectors::Stack stack;
        if (source && source->is_string() && source->get_string() == "sample") {
            if (c_.sample_stack.empty())
                return fail(w, stream, 422, "no_sample", "this server has no sample stack (--sample-stack DIR)");
            progress("reading");
            try {
                stack = connectors::read_stack_dir(c_.sample_stack);
            } catch (const std::exception& e) {
                return fail(w, stream, 500, "sample_unreadable", e.what());
            }
        } else if (source) {
            if (!source->is_string() || source->get_string() != "live")
                return fail(w, stream, 422, "invalid_field", "\"source\" must be \"live\" or \"sample\"");
            if (c_.apps.empty())
                return fail(w, stream, 422, "no_applications",
                            "no applications are configured (SABNZBD_URL, SONARR_URL, RADARR_URL)");
            progress("fetching");
            stack = connectors::fetch_stack(c_.apps);
        } else {
            if (!documents->is_object())
                return fail(w, stream, 422, "invalid_field", "\"documents\" must be an object keyed by application");
            for (const auto& [app, eps] : documents->get_object()) {
                const auto& known = connectors::endpoints_of(app);
                if (known.empty())
                    return fail(w, stream, 422, "invalid_field", "unknown application \"" + std::string(app) + "\"");
                if (!eps.is_object())
                    return fail(w, stream, 422, "invalid_field",
                                "documents." + std::string(app) + " must be an object");
                json::object docs;
                for (const auto& member : eps.get_object()) {  // no structured binding: clang 14 cannot capture one
                    const std::string_view ep = member.key();
                    const json::value& doc = member.value();
                    auto it = std::find_if(known.begin(), known.end(), [&](const auto& e) { return ep == e.name; });
                    if (it == known.end())
                        return fail(w, stream, 422, "invalid_field",
                                    "unknown endpoint \"" + std::string(ep) + "\" for " + std::string(app));
                    if (auto why = connectors::check_shape(app, *it, doc); !why.empty())
                        return fail(w, stream, 422, "invalid_field", std::string(app) + ": " + why);
                    docs[ep] = doc;
                }
                connectors::AppStatus st{std::string(app), "ok", connectors::app_version(app, docs), ""};
                stack.documents[app] = std::move(docs);
                stack.apps.push_back(st);
            }
            for (const auto& name : connectors::app_names())
                if (!stack.documents.contains(name)) stack.apps.push_back({name, "not configured", "", ""});
        }
        progress("auditing");
        audit::AuditOptions opts;
        opts.explain.provider = provider;
        opts.enrich = c_.enrichment != nullptr;
        opts.explain.cache = c_.store;
        opts.explain.cache_ttl_days = c_.explanation_cache_days;
        opts.explain.deadline = c_.enrich_deadline;
        auto report = audit::rules_audit(stack, *c_.rules, c_.router, opts);
        for (const auto& a : report.attempts) c_.metrics.attempt(a.provider, a.outcome);
        std::vector<std::pair<std::string, std::string>> findings;
        for (const auto& f : report.findings) findings.emplace_back(f.rule.id, f.rule.severity);
        try {
            c_.store->save_audit(
                {report.audit_id, report.created_at, report.mode, report.provider.value_or(""), report.score, 0,
                 audit::report_json(report), report.enrichment.state, json::serialize(report.redacted_documents)},
                findings);
        } catch (const std::exception& e) {
            log::error("server", std::string("cannot store audit: ") + e.what());
            return fail(w, stream, 500, "store_failed", "the audit could not be stored");
        }
        const bool explain = report.enrichment.state == "running";
        if (stream) {
            // The rules-only audit at once, then one event per explained
            // batch, then the final report (docs/api.md).
            w.write(sse("audit", json::parse(audit::report_json(report))));
            if (explain) {
                // A client that leaves cancels its streamed enrichment (what
                // was explained by then is stored, as "partial").
                opts.explain.cancel = req.cancel;
                opts.explain.deadline = std::min(c_.enrich_deadline, c_.stream_enrich_deadline);
                c_.enrichment->run_here(
                    report, opts, [&](const audit::AuditReport& r, const audit::EnrichmentProgress& p) {
                        json::array explained;
                        for (const auto& f : r.findings)
                            if (std::find(p.just_explained.begin(), p.just_explained.end(), f.rule.id) !=
                                p.just_explained.end())
                                explained.push_back(json::object{
                                    {"rule_id", f.rule.id}, {"explanation", f.explanation}, {"impact", f.impact}});
                        // A client that stops reading (its socket still open) stops the enrichment too.
                        if (!w.write(sse("explained", json::object{{"explained", p.stats.explained},
                                                                   {"total", p.stats.total},
                                                                   {"batches_done", p.stats.batches_done},
                                                                   {"batches", p.stats.batches},
                                                                   {"findings", std::move(explained)}})) &&
                            req.cancel)
                            req.cancel->cancel();
                    });
                for (const auto& a : report.attempts) c_.metrics.attempt(a.provider, a.outcome);
            }
            w.write(sse("result", json::parse(audit::report_json(report))));
            return w.end_stream();
        }
        if (explain && !c_.enrichment->submit(report, opts)) {
            report.enrichment.state = "skipped";
            report.enrichment.not_explained_reason = "the enrichment queue is full; run the audit again later";
            try {
                c_.store->update_audit(report.audit_id, report.mode, "", "skipped", audit::report_json(report));
            } catch (const std::exception& e) {
                log::error("server", std::string("cannot store audit: ") + e.what());
            }
        }
        HttpResponse r;
        r.status = 201;
        r.body = audit::report_json(report);
        r.headers.emplace_back("Location", "/api/v1/audits/" + report.audit_id);
        w.send(r);
    }

    void fail(ResponseWriter& w, bool stream, int status, const std::string& code, const std::string& message) {
        if (!stream) return w.send(HttpServer::error(status, code, message));
        w.write(sse("error", json::object{{"error", error_object(code, message)}}));
        w.end_stream();
    }

    void chat(const HttpRequest& req, ResponseWriter& w) {
        // The JSON trees of one chat request live in one arena, freed at once.
        unsigned char scratch[8192];
        json::monotonic_resource arena(scratch, sizeof scratch);
        const json::storage_ptr sp(&arena);
        auto body = json_object_body(req, w, false, sp);
        if (!body) return;
        const auto* messages = body->if_contains("messages");
        if (!messages || !messages->is_array() || messages->get_array().empty())
            return w.send(HttpServer::error(422, "invalid_field", "\"messages\" must be a non-empty array"));
        for (const auto& m : messages->get_array())
            if (!m.is_object() || !m.get_object().contains("role") || !m.at("role").is_string() ||
                !m.get_object().contains("content") || !m.at("content").is_string())
                return w.send(
                    HttpServer::error(422, "invalid_field", "every message needs string \"role\" and \"content\""));
        struct Field {
            const char* name;
            bool (*ok)(const json::value&);
            const char* want;
        };
        const Field fields[] = {
            {"model", [](const json::value& v) { return v.is_string(); }, "a string"},
            {"provider", [](const json::value& v) { return v.is_string(); }, "a string"},
            {"format",
             [](const json::value& v) { return v.is_object() || (v.is_string() && v.get_string() == "json"); },
             "\"json\" or a JSON Schema object"},
            {"temperature", [](const json::value& v) { return v.is_number(); }, "a number"},
            {"max_tokens", [](const json::value& v) { return v.is_int64() && v.get_int64() > 0; },
             "a positive integer"},
            {"stream", [](const json::value& v) { return v.is_bool(); }, "true or false"},
            {"tools", [](const json::value& v) { return v.is_array(); }, "an array of {name, description, parameters}"},
            {"tool_choice", [](const json::value& v) { return v.is_string() || v.is_object(); },
             "\"auto\", \"none\", \"required\" or {\"name\": ...}"},
        };
        for (const auto& f : fields)
            if (const auto* v = body->if_contains(f.name); v && !v->is_null() && !f.ok(*v))
                return w.send(
                    HttpServer::error(422, "invalid_field", std::string("\"") + f.name + "\" must be " + f.want));
        json::object request({{"messages", *messages}}, sp);
        for (const char* k : {"model", "format", "temperature", "max_tokens", "tools", "tool_choice"})
            if (const auto* v = body->if_contains(k); v && !v->is_null()) request[k] = *v;
        routing::RouteRequest rr;
        rr.request_json = json::serialize(request);
        rr.cancel = req.cancel;  // the client hung up, or the response timeout passed
        if (const auto* p = body->if_contains("provider"); p && p->is_string()) {
            rr.provider = std::string(p->get_string());
            auto ids = c_.router->provider_ids();
            if (std::find(ids.begin(), ids.end(), *rr.provider) == ids.end())
                return w.send(HttpServer::error(422, "unknown_provider", "no provider \"" + *rr.provider + "\""));
        }
        const bool stream = body->contains("stream") && body->at("stream").as_bool();
        const auto start = std::chrono::steady_clock::now();
        routing::RouteResult r;
        json::object final;
        if (stream) {
            bool started = false, client_gone = false;
            r = c_.router->stream(rr, [&](uint32_t kind, std::string_view data) {
                if (!started) started = w.start_stream(200, "text/event-stream");
                if (kind == AUTOARR_EVENT_TEXT_DELTA) {
                    // Forwarded at once, one event per delta: never buffered.
                    if (!w.write(sse("token", json::object{{"delta", data}}))) client_gone = true;
                } else if (kind == AUTOARR_EVENT_TOOL_CALL) {  // ABI 1.1: one whole call
                    json::error_code ec;
                    auto v = json::parse(data, ec);
                    if (!ec && v.is_object() && !w.write(sse("tool_call", v))) client_gone = true;
                } else {
                    json::error_code ec;
                    auto v = json::parse(data, ec);
                    if (!ec && v.is_object())
                        for (const auto& kv : v.get_object()) final[kv.key()] = kv.value();
                }
                return !client_gone;
            });
            record(r, final, start);
            if (!started) return w.send(provider_failure(r));  // failed before the first event: a normal error
            if (r.status.ok()) {
                final["provider"] = r.provider;
                final["attempts"] = routing::attempts_array(r.attempts);
                w.write(sse("done", final));
            } else {
                w.write(sse("error", json::object{{"error", error_object("provider_failed", r.status.message)},
                                                  {"partial", r.partial}}));
            }
            return w.end_stream();
        }
        r = c_.router->complete(rr);
        json::error_code ec;
        json::value resp = r.status.ok() ? json::parse(r.response_json, ec, sp) : json::value();
        if (r.status.ok() && (ec || !resp.is_object())) {
            r.status =
                plugin::CallStatus{AUTOARR_ERR_INVALID_RESPONSE, 0, -1, 0, "the provider returned malformed JSON"};
        }
        if (!r.status.ok()) {
            record(r, {}, start);
            auto e = provider_failure(r);
            if (r.status.retry_after_ms > 0)
                e.headers.emplace_back("Retry-After", std::to_string((r.status.retry_after_ms + 999) / 1000));
            return w.send(e);
        }
        json::object out(sp);
        for (const char* k : {"content", "model", "usage", "finish_reason"})
            out[k] = resp.as_object().contains(k) ? resp.at(k) : json::value(nullptr);
        for (const char* k : {"tool_calls", "request_id", "cost"})  // ABI 1.1, when the provider gave them
            if (const auto* v = resp.as_object().if_contains(k)) out[k] = *v;
        out["provider"] = r.provider;
        out["attempts"] = routing::attempts_array(r.attempts);
        record(r, resp.as_object(), start);
        w.send(json_response(200, out));
    }

    void record(const routing::RouteResult& r, const json::object& resp, std::chrono::steady_clock::time_point start) {
        for (const auto& a : r.attempts) c_.metrics.attempt(a.provider, a.outcome);
        store::UsageRow u;
        u.at = util::utc_iso_millis(std::chrono::system_clock::now());
        u.provider = r.provider.empty() ? "none" : r.provider;
        u.outcome = r.status.ok() ? "ok" : std::string(plugin::code_name(r.status.code));
        u.latency_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
        if (const auto* m = resp.if_contains("model"); m && m->is_string()) u.model = std::string(m->get_string());
        if (const auto* us = resp.if_contains("usage"); us && us->is_object()) {
            if (const auto* p = us->get_object().if_contains("prompt_tokens"); p && p->is_int64())
                u.prompt_tokens = p->get_int64();
            if (const auto* c = us->get_object().if_contains("completion_tokens"); c && c->is_int64())
                u.completion_tokens = c->get_int64();
        }
        if (r.status.ok()) {
            c_.metrics.tokens(u.provider, "prompt", u.prompt_tokens);
            c_.metrics.tokens(u.provider, "completion", u.completion_tokens);
        }
        if (c_.usage) c_.usage->record(std::move(u));  // queued: never waits for the disk
    }

    ApiContext& c_;
    FixRoutes fixes_;
};

}  // namespace

bool route_may_block(const HttpRequest& r) {
    if (r.method != "POST") return false;
    const std::string& p = r.path;
    return p == "/api/v1/chat" || p == "/api/v1/audits" || is_provider_check(p) || FixRoutes::may_block(r);
}

Handler make_api(ApiContext& context) {
    auto api = std::make_shared<Api>(context);
    return [api](const HttpRequest& req, ResponseWriter& w) { (*api)(req, w); };
}

}  // namespace autoarr::server
