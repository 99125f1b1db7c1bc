#include "audit/rule_set.h"

#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>

#include "audit/expression.h"
#include "util/paths.h"

#ifndef AUTOARR_SOURCE_RULES
#define AUTOARR_SOURCE_RULES ""
#endif

namespace autoarr::audit {
namespace json = boost::json;

namespace {

std::string need_string(const json::object& o, const char* key, const std::string& where) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string()) throw std::runtime_error(where + ": \"" + key + "\" must be a string");
    return std::string(v->get_string());
}

}  // namespace

namespace {
// The severities, most severe first: a severity's rank is its index.
struct Severity {
    std::string_view name;
    int weight;  // what one finding costs the health score
};
constexpr Severity kSeverities[] = {{"critical", 25}, {"high", 10}, {"medium", 4}, {"low", 1}};
constexpr int kUnknownRank = static_cast<int>(std::size(kSeverities));  // 4, as documented
}  // namespace

int severity_rank(std::string_view s) {
    for (int i = 0; i < kUnknownRank; ++i)
        if (kSeverities[i].name == s) return i;
    return kUnknownRank;
}

int severity_weight(std::string_view s) {
    const int rank = severity_rank(s);
    return rank < kUnknownRank ? kSeverities[rank].weight : 0;
}

RuleSet parse_rules(std::string_view text, const std::string& origin) {
    json::parse_options opts;
    opts.allow_comments = true;
    json::error_code ec;
    json::value root = json::parse(text, ec, {}, opts);
    if (ec) throw std::runtime_error(origin + ": not valid JSON: " + ec.message());
    if (!root.is_object()) throw std::runtime_error(origin + ": must be a JSON object");
    const auto& o = root.get_object();
    if (!o.contains("schema") || o.at("schema") != "autoarr.rules/1")
        throw std::runtime_error(origin + ": \"schema\" must be \"autoarr.rules/1\"");
    RuleSet set;
    set.version = need_string(o, "version", origin);

    std::map<std::string, CatalogEntry> catalog;
    const auto* cat = o.if_contains("catalog");
    if (!cat || !cat->is_array()) throw std::runtime_error(origin + ": \"catalog\" must be an array");
    for (const auto& c : cat->get_array()) {
        if (!c.is_object()) throw std::runtime_error(origin + ": every catalog entry must be an object");
        const auto& co = c.get_object();
        CatalogEntry e;
        e.id = need_string(co, "id", origin + " catalog");
        const std::string where = origin + " catalog " + e.id;
        e.application = need_string(co, "application", where);
        e.setting_path = need_string(co, "setting_path", where);
        e.condition = need_string(co, "condition", where);
        e.recommended = need_string(co, "recommended", where);
        e.severity = need_string(co, "severity", where);
        e.category = need_string(co, "category", where);
        e.rationale = need_string(co, "rationale", where);
        e.source = need_string(co, "source", where);
        if (severity_rank(e.severity) > 3)
            throw std::runtime_error(where + ": unknown severity \"" + e.severity + "\"");
        if (!catalog.emplace(e.id, e).second) throw std::runtime_error(where + ": duplicate id");
    }

    std::set<std::string> implemented;
    const auto* logic = o.if_contains("rules");
    if (!logic || !logic->is_array()) throw std::runtime_error(origin + ": \"rules\" must be an array");
    for (const auto& r : logic->get_array()) {
        if (!r.is_object()) throw std::runtime_error(origin + ": every rule must be an object");
        const auto& ro = r.get_object();
        // One logic entry serves several ids: "ids": {"sonarr": "SON-..", "radarr": "RAD-.."} runs
        // the same expression once per app with $app bound; "id": ".." runs it once.
        std::vector<std::pair<std::string, std::string>> targets;  // (id, app)
        if (const auto* ids = ro.if_contains("ids")) {
            if (!ids->is_object()) throw std::runtime_error(origin + ": \"ids\" must map app -> rule id");
            for (const auto& kv : ids->get_object()) {
                if (!kv.value().is_string()) throw std::runtime_error(origin + ": rule ids must be strings");
                targets.emplace_back(std::string(kv.value().get_string()), std::string(kv.key()));
            }
        } else {
            targets.emplace_back(need_string(ro, "id", origin + " rule"), "");
        }
        const auto* when = ro.if_contains("when");
        for (const auto& [id, app] : targets) {
            const std::string where = origin + " rule " + id;
            std::vector<FixSpec> rule_fixes;
            auto it = catalog.find(id);
            if (it == catalog.end()) throw std::runtime_error(where + ": no catalog entry with this id");
            if (!when) throw std::runtime_error(where + ": \"when\" is missing");
            try {
                validate(*when);
                if (const auto* cur = ro.if_contains("current")) validate(*cur);
                if (const auto* fix = ro.if_contains("fix"))
                    rule_fixes = parse_fixes(*fix, app, it->second.application);
            } catch (const std::invalid_argument& e) {
                throw std::runtime_error(where + ": " + e.what());
            }
            if (!implemented.insert(id).second) throw std::runtime_error(where + ": implemented twice");
            Rule rule;
            rule.entry = it->second;
            rule.app = app;
            rule.when = *when;
            if (const auto* cur = ro.if_contains("current")) rule.current = *cur;
            rule.fixes = std::move(rule_fixes);
            set.rules.push_back(std::move(rule));
        }
    }
    for (const auto& [id, e] : catalog)
        if (!implemented.count(id)) throw std::runtime_error(origin + ": catalog rule " + id + " has no logic");
    return set;
}

RuleSet load_rules(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read rule file " + path.string());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    return parse_rules(text, path.string());
}

std::filesystem::path installed_rules_path() {
    std::error_code ec;
    auto installed = util::executable_dir() / ".." / "share" / "autoarr" / "rules.json";
    if (std::filesystem::exists(installed, ec)) return installed.lexically_normal();
    return AUTOARR_SOURCE_RULES;
}

}  // namespace autoarr::audit
