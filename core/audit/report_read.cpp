// A stored report (report_json's output) read back into an AuditReport, so the
// service can render it as Markdown exactly as `autoarr audit --format markdown`.
#include <boost/json.hpp>

#include "audit/audit_run.h"

namespace autoarr::audit {
namespace json = boost::json;

namespace {

std::string text(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

int number(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_int64() ? static_cast<int>(v->get_int64()) : 0;
}

const json::object& object_at(const json::object& o, std::string_view key) {
    static const json::object empty;
    const auto* v = o.if_contains(key);
    return v && v->is_object() ? v->get_object() : empty;
}

const json::array& array_at(const json::object& o, std::string_view key) {
    static const json::array empty;
    const auto* v = o.if_contains(key);
    return v && v->is_array() ? v->get_array() : empty;
}

}  // namespace

AuditReport report_from_json(const json::object& o) {
    AuditReport r;
    r.audit_id = text(o, "audit_id");
    r.created_at = text(o, "created_at");
    r.mode = text(o, "mode");
    if (const auto* p = o.if_contains("provider"); p && p->is_string()) r.provider = std::string(p->get_string());
    r.mode_reason = text(o, "mode_reason");
    r.score = number(o, "score");
    r.rules_version = text(o, "rules_version");
    for (const auto& a : array_at(o, "applications"))
        if (a.is_object())
            r.applications.push_back({text(a.get_object(), "name"), text(a.get_object(), "status"),
                                      text(a.get_object(), "version"), text(a.get_object(), "error")});
    for (const auto& v : array_at(o, "findings")) {
        if (!v.is_object()) continue;
        const auto& f = v.get_object();
        Finding finding;
        finding.rule.id = text(f, "rule_id");
        finding.rule.application = text(f, "application");
        finding.rule.severity = text(f, "severity");
        finding.rule.category = text(f, "category");
        finding.rule.setting_path = text(f, "setting_path");
        finding.rule.recommended = text(f, "recommended");
        finding.rule.rationale = text(f, "rationale");
        finding.rule.source = text(f, "source");
        if (const auto* c = f.if_contains("current")) finding.current = *c;
        finding.origin = text(f, "origin");
        finding.explanation = text(f, "explanation");
        finding.impact = text(f, "impact");
        r.findings.push_back(std::move(finding));
    }
    const auto& e = object_at(o, "enrichment");
    r.enrichment.state = text(e, "state");
    r.enrichment.explained = number(e, "explained");
    r.enrichment.total = number(e, "total");
    r.enrichment.cached = number(e, "cached");
    r.enrichment.batches = number(e, "batches");
    r.enrichment.batches_done = number(e, "batches_done");
    r.enrichment.not_explained_reason = text(e, "not_explained_reason");
    return r;
}

}  // namespace autoarr::audit
