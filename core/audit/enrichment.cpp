#include "audit/enrichment.h"

#include <algorithm>
#include <cctype>

#include "util/strings.h"

namespace autoarr::audit {
namespace json = boost::json;

namespace {

using util::lower;
// Keys compared case-insensitively: models write "Rule_ID" as often as "rule_id".
const json::value* get(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key)) return v;
    for (const auto& kv : o)
        if (lower(kv.key()) == key) return &kv.value();
    return nullptr;
}

std::string get_string(const json::object& o, std::string_view key) {
    const auto* v = get(o, key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// "sonarr.config_host.authenticationMethod" or "sabnzbd.get_config.config.servers[0].ssl":
// true when that path exists in the documents.
bool path_exists(const json::object& docs, std::string path) {
    for (auto& c : path)
        if (c == '[' || c == ']') c = '.';
    const json::value* cur = nullptr;
    const json::object* obj = &docs;
    std::size_t at = 0;
    while (at <= path.size()) {
        auto dot = path.find('.', at);
        std::string seg = path.substr(at, dot == std::string::npos ? std::string::npos : dot - at);
        at = dot == std::string::npos ? path.size() + 1 : dot + 1;
        if (seg.empty()) continue;
        if (cur && cur->is_array()) {
            char* end = nullptr;
            long idx = std::strtol(seg.c_str(), &end, 10);
            if (*end || idx < 0 || static_cast<std::size_t>(idx) >= cur->get_array().size()) return false;
            cur = &cur->get_array()[idx];
        } else {
            if (!obj) return false;
            cur = obj->if_contains(seg);
            if (!cur) return false;
        }
        obj = cur->is_object() ? &cur->get_object() : nullptr;
    }
    return cur != nullptr;
}

std::string prompt(const std::vector<Finding>& findings, const json::object& docs) {
    json::array list;
    for (const auto& f : findings) {
        list.push_back(json::object{{"rule_id", f.rule.id},
                                    {"application", f.rule.application},
                                    {"severity", f.rule.severity},
                                    {"setting_path", f.rule.setting_path},
                                    {"current", f.current},
                                    {"recommended", f.rule.recommended},
                                    {"rationale", f.rule.rationale}});
    }
    return "Audit findings from AutoArr's rules for this SABnzbd/Sonarr/Radarr stack:\n" + json::serialize(list) +
           "\n\nThe configuration documents (secrets redacted), keyed application -> endpoint:\n" +
           json::serialize(docs) +
           "\n\nFor every finding, explain in plain words what is wrong and what it causes (explanation), the "
           "concrete consequence for this user (impact) and a priority from 1 (fix first) to 5. You may add "
           "findings the rules missed, but only about settings that exist in the documents above; give their "
           "setting_path as application.endpoint.path (e.g. sonarr.config_host.urlBase). Answer with one JSON "
           "object following this schema and nothing else:\n" +
           json::serialize(answer_schema());
}

}  // namespace

const json::object& answer_schema() {
    static const json::object schema = json::parse(R"({
      "type": "object",
      "required": ["findings"],
      "properties": {
        "findings": {"type": "array", "items": {"type": "object", "required": ["rule_id", "explanation"],
          "properties": {"rule_id": {"type": "string"}, "explanation": {"type": "string"},
                         "impact": {"type": "string"}, "priority": {"type": "integer", "minimum": 1, "maximum": 5}}}},
        "additional_findings": {"type": "array", "items": {"type": "object",
          "required": ["application", "setting_path", "recommended", "severity", "explanation"],
          "properties": {"application": {"enum": ["sabnzbd", "sonarr", "radarr"]}, "setting_path": {"type": "string"},
                         "current": {}, "recommended": {"type": "string"},
                         "severity": {"enum": ["critical", "high", "medium", "low"]},
                         "explanation": {"type": "string"}, "impact": {"type": "string"}}}}
      }
    })")
                                           .as_object();
    return schema;
}

std::optional<json::object> extract_json_object(std::string_view text) {
    auto try_parse = [](std::string_view t) -> std::optional<json::object> {
        json::error_code ec;
        json::value v = json::parse(t, ec);
        if (!ec && v.is_object()) return v.get_object();
        return std::nullopt;
    };
    if (auto o = try_parse(text)) return o;
    // A ```json fence (or a bare ``` fence).
    if (auto f = text.find("```"); f != std::string_view::npos) {
        auto start = text.find('\n', f);
        auto end = start == std::string_view::npos ? start : text.find("```", start);
        if (start != std::string_view::npos && end != std::string_view::npos)
            if (auto o = try_parse(text.substr(start + 1, end - start - 1))) return o;
    }
    // Prose around it: every '{' that starts a balanced, parseable object.
    for (std::size_t open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
        int depth = 0;
        bool in_string = false, escaped = false;
        for (std::size_t i = open; i < text.size(); ++i) {
            char c = text[i];
            if (in_string) {
                if (escaped)
                    escaped = false;
                else if (c == '\\')
                    escaped = true;
                else if (c == '"')
                    in_string = false;
                continue;
            }
            if (c == '"')
                in_string = true;
            else if (c == '{')
                ++depth;
            else if (c == '}' && --depth == 0) {
                if (auto o = try_parse(text.substr(open, i - open + 1))) return o;
                break;
            }
        }
    }
    return std::nullopt;
}

std::string apply_answer(const json::object& answer, std::vector<Finding>& findings, const json::object& docs,
                         EnrichmentStats& stats) {
    const auto* list = get(answer, "findings");
    if (!list || !list->is_array()) return "the answer has no \"findings\" array";
    for (const auto& item : list->get_array()) {
        if (!item.is_object()) {
            ++stats.dropped_malformed;
            continue;
        }
        const auto& o = item.get_object();
        std::string id = get_string(o, "rule_id");
        std::string explanation = get_string(o, "explanation");
        auto it = std::find_if(findings.begin(), findings.end(),
                               [&](const Finding& f) { return lower(f.rule.id) == lower(id); });
        if (it == findings.end()) {
            ++stats.dropped_unknown_rule;  // a rule that did not fire: never invented into the report
            continue;
        }
        if (explanation.empty()) {
            ++stats.dropped_malformed;
            continue;
        }
        it->explanation = explanation;
        it->impact = get_string(o, "impact");
        ++stats.explained;
    }
    if (const auto* extra = get(answer, "additional_findings"); extra && extra->is_array()) {
        int n = 0;
        for (const auto& item : extra->get_array()) {
            if (!item.is_object()) {
                ++stats.dropped_malformed;
                continue;
            }
            const auto& o = item.get_object();
            std::string app = lower(get_string(o, "application"));
            std::string path = get_string(o, "setting_path");
            std::string severity = lower(get_string(o, "severity"));
            if ((app != "sabnzbd" && app != "sonarr" && app != "radarr") || path.empty() ||
                severity_rank(severity) > 3 || get_string(o, "explanation").empty()) {
                ++stats.dropped_malformed;
                continue;
            }
            std::string full = path.rfind(app + ".", 0) == 0 ? path : app + "." + path;
            if (!path_exists(docs, full)) {
                ++stats.dropped_unknown_path;  // no invented settings
                continue;
            }
            Finding f;
            f.origin = "llm";
            f.rule.id = "LLM-" + std::to_string(++n);
            f.rule.application = app;
            f.rule.setting_path = full;
            f.rule.severity = severity;
            f.rule.category = "advice";
            f.rule.recommended = get_string(o, "recommended");
            f.rule.source = "language model";
            f.explanation = get_string(o, "explanation");
            f.impact = get_string(o, "impact");
            if (const auto* cur = get(o, "current")) f.current = *cur;
            findings.push_back(std::move(f));
            ++stats.added;
        }
    }
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        return severity_rank(a.rule.severity) < severity_rank(b.rule.severity);
    });
    return {};
}

EnrichmentResult enrich(routing::Router& router, const std::optional<std::string>& provider,
                        std::vector<Finding>& findings, const json::object& docs, std::chrono::milliseconds deadline) {
    EnrichmentResult result;
    json::array messages{json::object{{"role", "system"},
                                      {"content",
                                       "You are AutoArr's configuration auditor for SABnzbd, Sonarr and Radarr. You "
                                       "answer only with JSON that follows the schema you are given."}},
                         json::object{{"role", "user"}, {"content", prompt(findings, docs)}}};
    std::string last_error;
    for (int round = 0; round < 2; ++round) {
        routing::RouteRequest req;
        req.provider = provider;
        req.deadline = deadline;
        req.request_json =
            json::serialize(json::object{{"messages", messages}, {"format", answer_schema()}, {"temperature", 0.2}});
        routing::RouteResult r = router.complete(req);
        result.attempts.insert(result.attempts.end(), r.attempts.begin(), r.attempts.end());
        if (!r.status.ok()) {
            result.reason = "no provider answered: " + r.status.message;
            return result;
        }
        result.provider = r.provider;
        json::error_code ec;
        json::value resp = json::parse(r.response_json, ec);
        std::string content =
            !ec && resp.is_object() && resp.get_object().contains("content") && resp.at("content").is_string()
                ? std::string(resp.at("content").as_string())
                : std::string();
        auto answer = extract_json_object(content);
        if (answer) {
            std::vector<Finding> trial = findings;
            EnrichmentStats stats;
            stats.repaired = round > 0;
            last_error = apply_answer(*answer, trial, docs, stats);
            if (last_error.empty()) {
                findings = std::move(trial);
                result.applied = true;
                result.stats = stats;
                return result;
            }
        } else {
            last_error = "the answer contains no JSON object";
        }
        // One repair request, quoting the answer and what is wrong with it.
        messages.push_back(json::object{{"role", "assistant"}, {"content", content.substr(0, 20000)}});
        messages.push_back(
            json::object{{"role", "user"},
                         {"content", "That answer cannot be used: " + last_error +
                                         ". Reply with only the corrected JSON object following the schema."}});
    }
    result.reason = "the provider's answer was malformed twice (" + last_error + "); kept the rules-only result";
    return result;
}

}  // namespace autoarr::audit
