#include "audit/fix_spec.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "audit/expression.h"

namespace autoarr::audit {
namespace json = boost::json;

namespace {

struct ResourceKind {
    std::string_view app;  // "sabnzbd" or "arr"
    std::string_view resource;
    bool list;
    std::string_view document;  // the endpoint file it is audited from
};

// Every resource a fix may write (docs/fixes.md, "Resources").
constexpr std::array<ResourceKind, 11> kResources{{
    {"sabnzbd", "misc", false, "get_config"},
    {"sabnzbd", "logging", false, "get_config"},
    {"sabnzbd", "servers", true, "get_config"},
    {"sabnzbd", "categories", true, "get_config"},
    {"sabnzbd", "sorters", true, "get_config"},
    {"arr", "config/host", false, "config_host"},
    {"arr", "config/mediamanagement", false, "config_mediamanagement"},
    {"arr", "config/naming", false, "config_naming"},
    {"arr", "config/downloadclient", false, "config_downloadclient"},
    {"arr", "downloadclient", true, "downloadclient"},
    {"arr", "remotepathmapping", true, "remotepathmapping"},
}};

const ResourceKind* find_resource(std::string_view app, std::string_view resource) {
    const std::string_view kind = app == "sabnzbd" ? "sabnzbd" : "arr";
    for (const auto& r : kResources)
        if (r.app == kind && r.resource == resource) return &r;
    return nullptr;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

FixSpec parse_one(const json::value& v, const std::string& rule_app, const std::string& application) {
    if (!v.is_object()) throw std::invalid_argument("\"fix\" must be an object or an array of objects");
    const auto& o = v.get_object();
    static const std::array<std::string_view, 7> known{"app", "resource", "each", "var", "field", "value", "restart"};
    for (const auto& kv : o)
        if (std::find(known.begin(), known.end(), kv.key()) == known.end())
            throw std::invalid_argument("fix: unknown key \"" + std::string(kv.key()) + "\"");
    auto text = [&](const char* key, bool required) -> std::string {
        const auto* f = o.if_contains(key);
        if (!f) {
            if (required) throw std::invalid_argument(std::string("fix: \"") + key + "\" is missing");
            return {};
        }
        if (!f->is_string() || f->get_string().empty())
            throw std::invalid_argument(std::string("fix: \"") + key + "\" must be a non-empty string");
        return std::string(f->get_string());
    };
    FixSpec s;
    s.app = text("app", false);
    if (s.app.empty()) s.app = !rule_app.empty() ? rule_app : application;
    if (s.app != "sabnzbd" && s.app != "sonarr" && s.app != "radarr" && s.app != "arrs")
        throw std::invalid_argument("fix: \"app\" must be sabnzbd, sonarr, radarr or arrs, not \"" + s.app + "\"");
    s.resource = text("resource", true);
    const ResourceKind* kind = find_resource(s.app, s.resource);
    if (!kind) throw std::invalid_argument("fix: " + s.app + " has no writable resource \"" + s.resource + "\"");
    s.field = text("field", true);
    if (is_secret_field(s.field))
        throw std::invalid_argument("fix: \"" + s.field + "\" is a secret field; AutoArr never writes one");
    if (s.field.rfind("fields.", 0) == 0 && (s.app == "sabnzbd" || s.field.size() == 7))
        throw std::invalid_argument("fix: \"fields.NAME\" names a Sonarr/Radarr schema field");
    if (const auto* var = o.if_contains("var")) {
        if (!var->is_string() || var->get_string().empty())
            throw std::invalid_argument("fix: \"var\" must be a non-empty string");
        s.var = std::string(var->get_string());
    }
    const auto* each = o.if_contains("each");
    if (kind->list && !each)
        throw std::invalid_argument("fix: \"" + s.resource + "\" holds a list: \"each\" is needed");
    if (!kind->list && each)
        throw std::invalid_argument("fix: \"" + s.resource + "\" is a single resource: \"each\" does not apply");
    if (each) {
        validate(*each);
        s.each = *each;
    }
    const auto* value = o.if_contains("value");
    if (!value) throw std::invalid_argument("fix: \"value\" is missing");
    validate(*value);
    s.value = *value;
    if (const auto* r = o.if_contains("restart")) {
        if (!r->is_bool()) throw std::invalid_argument("fix: \"restart\" must be true or false");
        s.restart = r->get_bool();
    }
    return s;
}

}  // namespace

bool is_list_resource(std::string_view app, std::string_view resource) {
    const auto* k = find_resource(app, resource);
    return k && k->list;
}

std::string document_of(std::string_view app, std::string_view resource) {
    const auto* k = find_resource(app, resource);
    return k ? std::string(k->document) : std::string();
}

bool is_secret_field(std::string_view field) {
    std::string f = lower(field.rfind("fields.", 0) == 0 ? field.substr(7) : field);
    for (std::string_view word : {"key", "password", "passwd", "secret", "token", "username", "user"})
        if (f.find(word) != std::string::npos) return true;
    return false;
}

std::vector<FixSpec> parse_fixes(const json::value& fix, const std::string& rule_app, const std::string& application) {
    std::vector<FixSpec> out;
    if (fix.is_array()) {
        if (fix.get_array().empty()) throw std::invalid_argument("\"fix\" must not be an empty array");
        for (const auto& f : fix.get_array()) out.push_back(parse_one(f, rule_app, application));
    } else {
        out.push_back(parse_one(fix, rule_app, application));
    }
    return out;
}

}  // namespace autoarr::audit
