#include "server/fix_routes.h"

#include <boost/json.hpp>
#include <optional>

#include "connectors/live.h"
#include "fix/audit_source.h"
#include "fix/fix_report.h"
#include "fix/fix_run.h"
#include "server/json_body.h"
#include "util/log.h"

namespace autoarr::server {
namespace json = boost::json;

namespace {

constexpr std::chrono::milliseconds kAppTimeout{15000};

HttpResponse json_ok(int status, const json::value& v) {
    HttpResponse r;
    r.status = status;
    r.body = json::serialize(v);
    return r;
}

bool is_fixes_path(std::string_view p) {
    return p.size() > 21 && p.starts_with("/api/v1/audits/") && p.ends_with("/fixes");
}
bool is_rollback_path(std::string_view p) {
    return p.size() > 25 && p.starts_with("/api/v1/changes/") && p.ends_with("/rollback");
}

// Reads the fix request body; "" when valid, else what is wrong.
std::string read_request(const json::object& o, fix::FixRequest& r) {
    for (const auto& kv : o) {
        const std::string_view k = kv.key();
        const json::value& v = kv.value();
        if (k == "rules") {
            if (!v.is_array()) return "\"rules\" must be an array of rule ids";
            for (const auto& id : v.get_array()) {
                if (!id.is_string() || id.get_string().empty() || id.get_string().size() > 64)
                    return "\"rules\" must hold rule ids (strings of 1 to 64 characters)";
                r.selection.rule_ids.emplace_back(id.get_string());
            }
        } else if (k == "severity") {
            if (!v.is_string() || audit::severity_rank(v.get_string()) > 3)
                return "\"severity\" must be critical, high, medium or low";
            r.selection.min_severity = std::string(v.get_string());
        } else if (k == "dry_run" || k == "force" || k == "rollback_on_failure") {
            if (!v.is_bool()) return "\"" + std::string(k) + "\" must be true or false";
            (k == "dry_run" ? r.dry_run : k == "force" ? r.force : r.rollback_on_failure) = v.get_bool();
        } else {
            return "unknown field \"" + std::string(k) + "\" (rules, severity, dry_run, force, rollback_on_failure)";
        }
    }
    return {};
}

HttpResponse busy() {
    return HttpServer::error(409, "fix_running", "another fix or rollback is running; try again when it ends");
}

}  // namespace

bool FixRoutes::may_block(const HttpRequest& req) {
    return req.method == "POST" && (is_fixes_path(req.path) || is_rollback_path(req.path));
}

bool FixRoutes::refuse_without_token(ResponseWriter& w) {
    if (!c_.api_token.empty()) return false;  // the token was checked before any /api/ route
    w.send(HttpServer::error(403, "token_required",
                             "changing the stack needs the API token, on loopback too: start the service with "
                             "AUTOARR_API_TOKEN set and send 'Authorization: Bearer <token>'"));
    return true;
}

bool FixRoutes::handle(const HttpRequest& req, ResponseWriter& w, std::string& route) {
    const std::string& p = req.path;
    auto only = [&](const char* m) {
        if (req.method == m) return true;
        auto r = HttpServer::error(405, "method_not_allowed",
                                   req.method + " is not allowed on " + p + " (allowed: " + m + ")");
        r.headers.emplace_back("Allow", m);
        w.send(r);
        return false;
    };
    if (is_fixes_path(p)) {
        route = "/api/v1/audits/{id}/fixes";
        if (only("POST")) post_fixes(req, p.substr(15, p.size() - 21), w);
        return true;
    }
    if (is_rollback_path(p)) {
        route = "/api/v1/changes/{id}/rollback";
        if (only("POST")) rollback(req, p.substr(16, p.size() - 25), w);
        return true;
    }
    if (p == "/api/v1/changes") {
        route = p;
        if (only("GET")) w.send(json_ok(200, fix::changes_json(c_.store->change_sets(200))));
        return true;
    }
    if (p.rfind("/api/v1/changes/", 0) == 0) {
        route = "/api/v1/changes/{id}";
        if (!only("GET")) return true;
        auto set = c_.store->change_set(p.substr(16));
        w.send(set ? json_ok(200, fix::change_set_json(*set))
                   : HttpServer::error(404, "unknown_change_set", "no change set \"" + p.substr(16) + "\""));
        return true;
    }
    return false;
}

void FixRoutes::post_fixes(const HttpRequest& req, const std::string& audit_id, ResponseWriter& w) {
    fix::FixRequest request;
    auto body = json_object_body(req, w, true);
    if (!body) return;
    if (auto why = read_request(*body, request); !why.empty())
        return w.send(HttpServer::error(422, "invalid_field", why));
    if (!request.dry_run && refuse_without_token(w)) return;
    fix::AuditedStack audited;
    try {
        audited = fix::stored_audit(*c_.store, audit_id, *c_.rules);
    } catch (const std::invalid_argument& e) {
        const bool missing = !c_.store->audit(audit_id);
        return w.send(HttpServer::error(missing ? 404 : 409, missing ? "unknown_audit" : "no_documents", e.what()));
    }
    request.today = audited.today;
    std::unique_lock writing(writing_mutex_, std::defer_lock);
    if (!request.dry_run && !writing.try_lock()) return w.send(busy());
    // The answer is sent after the lock is released: a client that acts on
    // it at once (a rollback) must not find the run still holding it.
    HttpResponse answer = [&] {
        fix::Writers writers = fix::writers_for(c_.apps, kAppTimeout);
        const auto apps = c_.apps;
        try {
            fix::FixRun run = fix::run_fix(*c_.rules, audit_id, audited.findings, audited.documents, request, writers,
                                           c_.store, [&apps] { return connectors::fetch_stack(apps); });
            return json_ok(run.applied ? 201 : 200, fix::fix_json(run));
        } catch (const std::invalid_argument& e) {
            return HttpServer::error(422, "invalid_field", e.what());
        } catch (const std::exception& e) {
            log::error("fix", std::string("fix run failed: ") + e.what());
            return HttpServer::error(500, "fix_failed", std::string("the fix run failed: ") + e.what());
        }
    }();
    if (writing.owns_lock()) writing.unlock();
    w.send(answer);
}

void FixRoutes::rollback(const HttpRequest& req, const std::string& id, ResponseWriter& w) {
    bool force = false;
    auto body = json_object_body(req, w, true);
    if (!body) return;
    for (const auto& kv : *body) {
        if (kv.key() != "force" || !kv.value().is_bool())
            return w.send(HttpServer::error(422, "invalid_field", "the only field is \"force\": true or false"));
        force = kv.value().get_bool();
    }
    if (refuse_without_token(w)) return;
    auto set = c_.store->change_set(id);
    if (!set) return w.send(HttpServer::error(404, "unknown_change_set", "no change set \"" + id + "\""));
    if (set->state == "rolled_back")
        return w.send(HttpServer::error(409, "already_rolled_back", "change set " + id + " was already rolled back"));
    std::unique_lock writing(writing_mutex_, std::try_to_lock);
    if (!writing.owns_lock()) return w.send(busy());
    HttpResponse answer = [&] {
        fix::Writers writers = fix::writers_for(c_.apps, kAppTimeout);
        const auto apps = c_.apps;
        try {
            fix::RollbackRun run = fix::run_rollback(*c_.rules, id, force, writers, *c_.store,
                                                     [&apps] { return connectors::fetch_stack(apps); });
            return json_ok(200, fix::rollback_json(run));
        } catch (const std::invalid_argument& e) {
            return HttpServer::error(409, "cannot_roll_back", e.what());
        } catch (const std::exception& e) {
            log::error("fix", std::string("rollback failed: ") + e.what());
            return HttpServer::error(500, "rollback_failed", std::string("the rollback failed: ") + e.what());
        }
    }();
    writing.unlock();  // before the answer (see post_fixes)
    w.send(answer);
}

}  // namespace autoarr::server
