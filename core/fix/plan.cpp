#include "fix/plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "audit/expression.h"
#include "audit/fix_spec.h"

namespace autoarr::fix {
namespace json = boost::json;

namespace {

// The resource's document in the audited stack: SABnzbd's section of
// get_config, or the *arr endpoint document. nullptr when absent.
const json::value* resource_document(const json::object& documents, const std::string& app,
                                     const std::string& resource) {
    const auto* docs = documents.if_contains(app);
    if (!docs || !docs->is_object()) return nullptr;
    const auto* doc = docs->get_object().if_contains(audit::document_of(app, resource));
    if (!doc) return nullptr;
    if (app != "sabnzbd") return doc;
    const auto* config = doc->is_object() ? doc->get_object().if_contains("config") : nullptr;
    if (!config || !config->is_object()) return nullptr;
    return config->get_object().if_contains(resource);
}

std::string item_key(const std::string& app, const json::value& item) {
    if (!item.is_object()) return {};
    const char* key = app == "sabnzbd" ? "name" : "id";
    const auto* v = item.get_object().if_contains(key);
    if (!v) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_int64()) return std::to_string(v->get_int64());
    if (v->is_uint64()) return std::to_string(v->get_uint64());
    return {};
}

std::string item_label(const json::value& item) {
    const auto* n = item.is_object() ? item.get_object().if_contains("name") : nullptr;
    return n && n->is_string() ? std::string(n->get_string()) : std::string();
}

std::optional<std::string> as_text(const json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_bool()) return std::string(v.get_bool() ? "1" : "0");
    if (v.is_int64()) return std::to_string(v.get_int64());
    if (v.is_uint64()) return std::to_string(v.get_uint64());
    if (v.is_double()) {
        const double d = v.get_double();
        // Only a whole number inside int64's range may be cast (found by the
        // fix_writers fuzzer: 1e308 made the cast undefined behaviour).
        if (std::trunc(d) == d && d >= -9.2e18 && d <= 9.2e18) return std::to_string(static_cast<int64_t>(d));
        return json::serialize(v);
    }
    return std::nullopt;
}

struct Planner {
    const json::object& documents;
    const std::string& today;
    Plan plan;

    void manual(const audit::Rule& rule, std::string reason) {
        plan.manual.push_back({rule.entry.id, rule.entry.severity, std::move(reason)});
    }

    // One spec for one application: the changes it makes there. Returns
    // false (with a manual entry) when no safe value can be derived.
    bool plan_spec(const audit::Rule& rule, const audit::FixSpec& spec, const std::string& app, std::size_t& made) {
        audit::Scope scope;
        scope.documents = &documents;
        scope.today = today;
        scope.app = app == "sabnzbd" ? rule.app : app;
        auto add = [&](const json::value& holder, std::string item, std::string label) {
            auto before = read_field(holder, spec.field);
            if (!before) {
                manual(rule, app + " has no field \"" + spec.field + "\" in " + spec.resource +
                                 (label.empty() ? "" : " (" + label + ")") + ": manual fix");
                return false;
            }
            audit::Value after = audit::evaluate(spec.value, scope);
            if (!after || after->is_null()) {
                manual(rule, "no single safe value for " + spec.resource + "." + spec.field +
                                 (label.empty() ? "" : " (" + label + ")") + " could be derived: manual fix");
                return false;
            }
            if (same_value(*before, *after)) return true;
            Change c;
            c.rule_id = rule.entry.id;
            c.severity = rule.entry.severity;
            c.app = app;
            c.resource = spec.resource;
            if (app != "sabnzbd") c.resource_id = item.empty() ? item_key(app, holder) : item;
            c.item = std::move(item);
            c.label = std::move(label);
            c.field = spec.field;
            c.before = *before;
            c.after = *after;
            c.restart = spec.restart;
            plan.changes.push_back(std::move(c));
            ++made;
            return true;
        };
        if (spec.each.is_null()) {
            const json::value* doc = resource_document(documents, app, spec.resource);
            if (!doc) {
                manual(rule, "the audit holds no " + app + " " + spec.resource + " document: manual fix");
                return false;
            }
            return add(*doc, "", "");
        }
        audit::Value items = audit::evaluate(spec.each, scope);
        if (!items || !items->is_array()) {
            manual(rule, "the items to change in " + app + " " + spec.resource + " could not be found: manual fix");
            return false;
        }
        bool ok = true;
        for (const auto& it : items->get_array()) {
            std::string key = item_key(app, it);
            if (key.empty()) {
                manual(rule, "an item of " + app + " " + spec.resource + " has no " +
                                 (app == "sabnzbd" ? "name" : "id") + ": manual fix");
                ok = false;
                continue;
            }
            scope.vars[spec.var] = audit::Value(it);
            ok = add(it, std::move(key), item_label(it)) && ok;
        }
        scope.vars.erase(spec.var);
        return ok;
    }

    void plan_rule(const audit::Rule& rule) {
        if (rule.fixes.empty()) {
            manual(rule, "no single safe value: manual fix (recommended: " + rule.entry.recommended + ")");
            return;
        }
        std::size_t made = 0;
        bool ok = true;
        for (const auto& spec : rule.fixes) {
            std::vector<std::string> apps;
            if (spec.app == "arrs") {
                for (const char* a : {"sonarr", "radarr"})
                    if (documents.contains(a)) apps.emplace_back(a);
            } else {
                apps.push_back(spec.app);
            }
            for (const auto& app : apps) ok = plan_spec(rule, spec, app, made) && ok;
        }
        if (ok && made == 0) manual(rule, "its fix changes nothing in these documents: manual fix");
    }
};

}  // namespace

int app_order(std::string_view app) {
    return app == "sabnzbd" ? 0 : app == "sonarr" ? 1 : app == "radarr" ? 2 : 3;
}

Plan plan_fixes(const audit::RuleSet& rules, const std::vector<audit::Finding>& findings, const json::object& documents,
                const Selection& selection, const std::string& today) {
    int max_rank = 3;
    if (!selection.min_severity.empty()) {
        max_rank = audit::severity_rank(selection.min_severity);
        if (max_rank > 3)
            throw std::invalid_argument("severity must be critical, high, medium or low, not \"" +
                                        selection.min_severity + "\"");
    }
    for (const auto& id : selection.rule_ids)
        if (std::none_of(findings.begin(), findings.end(), [&](const auto& f) { return f.rule.id == id; }))
            throw std::invalid_argument(id + " is not a finding of this audit");
    // A templated rule exists once per app: find each finding's own.
    std::map<std::string, const audit::Rule*> by_id;
    for (const auto& r : rules.rules) by_id[r.entry.id] = &r;

    Planner p{documents, today, {}};
    for (const auto& f : findings) {
        if (f.origin != "rules") continue;  // a model's added finding carries no fix
        if (!selection.rule_ids.empty() &&
            std::find(selection.rule_ids.begin(), selection.rule_ids.end(), f.rule.id) == selection.rule_ids.end())
            continue;
        if (audit::severity_rank(f.rule.severity) > max_rank) continue;
        auto it = by_id.find(f.rule.id);
        if (it == by_id.end()) {
            p.plan.manual.push_back({f.rule.id, f.rule.severity, "the rule file has no such rule: manual fix"});
            continue;
        }
        p.plan_rule(*it->second);
    }
    std::stable_sort(p.plan.changes.begin(), p.plan.changes.end(), [](const Change& a, const Change& b) {
        if (app_order(a.app) != app_order(b.app)) return app_order(a.app) < app_order(b.app);
        return audit::severity_rank(a.severity) < audit::severity_rank(b.severity);
    });
    return std::move(p.plan);
}

std::optional<json::value> read_field(const json::value& resource, std::string_view field) {
    if (!resource.is_object()) return std::nullopt;
    const auto& o = resource.get_object();
    if (field.rfind("fields.", 0) == 0) {
        const auto* fields = o.if_contains("fields");
        if (!fields || !fields->is_array()) return std::nullopt;
        const std::string_view name = field.substr(7);
        for (const auto& f : fields->get_array()) {
            if (!f.is_object()) continue;
            const auto* n = f.get_object().if_contains("name");
            if (n && n->is_string() && n->get_string() == name) {
                const auto* v = f.get_object().if_contains("value");
                return v ? *v : json::value(nullptr);  // a schema field without a value is unset, not absent
            }
        }
        return std::nullopt;
    }
    const auto* v = o.if_contains(field);
    if (!v) return std::nullopt;
    return *v;
}

bool set_field(json::value& resource, std::string_view field, const json::value& value) {
    if (!resource.is_object()) return false;
    auto& o = resource.get_object();
    if (field.rfind("fields.", 0) == 0) {
        auto* fields = o.if_contains("fields");
        if (!fields || !fields->is_array()) return false;
        const std::string_view name = field.substr(7);
        for (auto& f : fields->get_array()) {
            if (!f.is_object()) continue;
            const auto* n = f.get_object().if_contains("name");
            if (n && n->is_string() && n->get_string() == name) {
                f.get_object()["value"] = value;
                return true;
            }
        }
        return false;
    }
    if (!o.contains(field)) return false;
    o[field] = value;
    return true;
}

bool same_value(const json::value& a, const json::value& b) {
    if (a == b) return true;
    if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
    if (a.is_null() || b.is_null() || a.is_structured() || b.is_structured()) return false;
    // Text against a number or a boolean: SABnzbd's way.
    if (a.is_string() == b.is_string() && !a.is_bool() && !b.is_bool()) return false;
    auto ta = as_text(a), tb = as_text(b);
    return ta && tb && *ta == *tb;
}

std::string setting_name(const Change& c) {
    std::string s = c.resource;
    if (!c.item.empty()) s += "[" + (c.label.empty() ? c.item : c.label) + "]";
    return s + "." + c.field;
}

}  // namespace autoarr::fix
