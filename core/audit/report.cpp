#include <boost/json.hpp>
#include <map>
#include <sstream>

#include "audit/audit_run.h"

namespace autoarr::audit {
namespace json = boost::json;

namespace {

json::object finding_json(const Finding& f) {
    json::object o;
    o["rule_id"] = f.rule.id;
    o["application"] = f.rule.application;
    o["severity"] = f.rule.severity;
    o["category"] = f.rule.category;
    o["setting_path"] = f.rule.setting_path;
    o["current"] = f.current;
    o["recommended"] = f.rule.recommended;
    o["rationale"] = f.rule.rationale;
    o["source"] = f.rule.source;
    o["explanation"] = f.explanation.empty() ? json::value(nullptr) : json::value(f.explanation);
    o["impact"] = f.impact.empty() ? json::value(nullptr) : json::value(f.impact);
    o["origin"] = f.origin;
    return o;
}

std::string current_text(const json::value& v) {
    if (v.is_null()) return "";
    if (v.is_string()) return std::string(v.get_string());
    return json::serialize(v);
}

const char* kApps[] = {"sabnzbd", "sonarr", "radarr", "cross-app"};

std::string app_title(std::string_view a) {
    if (a == "sabnzbd") return "SABnzbd";
    if (a == "sonarr") return "Sonarr";
    if (a == "radarr") return "Radarr";
    return "Across applications";
}

// "explained 12 of 91 (partial: the enrichment deadline (180 s) passed)".
std::string explained_line(const AuditReport& r) {
    const auto& e = r.enrichment;
    std::string s = "explained " + std::to_string(e.explained) + " of " + std::to_string(e.total);
    if (e.state == "running") return s + " (explaining…)";
    if (e.cached > 0) s += ", " + std::to_string(e.cached) + " from the cache";
    if (e.explained < e.total && e.state != "skipped" && !e.not_explained_reason.empty())
        s += " (" + e.state + ": " + e.not_explained_reason + ")";
    return s;
}

}  // namespace

std::string report_json(const AuditReport& r) {
    json::object o;
    o["schema"] = "autoarr.audit/1";
    o["audit_id"] = r.audit_id;
    o["created_at"] = r.created_at;
    o["mode"] = r.mode;
    o["provider"] = r.provider ? json::value(*r.provider) : json::value(nullptr);
    if (!r.mode_reason.empty()) o["mode_reason"] = r.mode_reason;
    json::array attempts;
    for (const auto& a : r.attempts)
        attempts.push_back(json::object{{"provider", a.provider},
                                        {"outcome", a.outcome},
                                        {"reason", a.reason.empty() ? json::value(nullptr) : json::value(a.reason)}});
    o["attempts"] = std::move(attempts);
    o["score"] = r.score;
    o["rules_version"] = r.rules_version;
    json::array apps;
    for (const auto& a : r.applications) {
        json::object ao{{"name", a.name},
                        {"status", a.status},
                        {"version", a.version.empty() ? json::value(nullptr) : json::value(a.version)}};
        if (!a.error.empty()) ao["error"] = a.error;
        apps.push_back(std::move(ao));
    }
    o["applications"] = std::move(apps);
    json::array findings;
    json::object counts{{"critical", 0}, {"high", 0}, {"medium", 0}, {"low", 0}};
    for (const auto& f : r.findings) {
        findings.push_back(finding_json(f));
        if (counts.contains(f.rule.severity)) counts[f.rule.severity] = counts[f.rule.severity].as_int64() + 1;
    }
    o["summary"] = std::move(counts);
    o["findings"] = std::move(findings);
    const auto& e = r.enrichment;
    json::object enrichment{{"state", e.state},
                            {"explained", e.explained},
                            {"total", e.total},
                            {"cached", e.cached},
                            {"batches", e.batches},
                            {"batches_done", e.batches_done},
                            {"batches_failed", e.batches_failed},
                            {"model_calls", e.model_calls},
                            {"truncated", e.truncated},
                            {"prompt_tokens", e.prompt_tokens},
                            {"completion_tokens", e.completion_tokens},
                            {"context_window", e.context_window}};
    if (!e.not_explained_reason.empty() && e.explained < e.total)
        enrichment["not_explained_reason"] = e.not_explained_reason;
    enrichment["added"] = e.added;
    enrichment["repaired"] = e.repaired;
    enrichment["dropped_unknown_rule"] = e.dropped_unknown_rule;
    enrichment["dropped_unknown_path"] = e.dropped_unknown_path;
    enrichment["dropped_malformed"] = e.dropped_malformed;
    o["enrichment"] = std::move(enrichment);
    return json::serialize(o);
}

std::string report_markdown(const AuditReport& r) {
    std::ostringstream md;
    md << "# AutoArr audit\n\n";
    md << "**Score:** " << r.score << "/100 · **Findings:** " << r.findings.size() << " · **Mode:** " << r.mode;
    if (r.provider) md << " (" << *r.provider << ")";
    md << " · " << r.created_at << "\n\n";
    md << "**Explained:** " << explained_line(r) << "\n\n";
    if (!r.mode_reason.empty()) md << "> " << r.mode_reason << "\n\n";
    md << "| Application | Status | Version |\n|---|---|---|\n";
    for (const auto& a : r.applications)
        md << "| " << app_title(a.name) << " | " << a.status << (a.error.empty() ? "" : " — " + a.error) << " | "
           << (a.version.empty() ? "–" : a.version) << " |\n";
    for (const char* app : kApps) {
        bool header = false;
        for (const auto& f : r.findings) {
            if (f.rule.application != app) continue;
            if (!header) {
                md << "\n## " << app_title(app) << "\n\n| Severity | Rule | Setting | Current | Recommended |\n"
                   << "|---|---|---|---|---|\n";
                header = true;
            }
            auto cell = [](std::string s) {
                for (std::size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
                return s;
            };
            md << "| " << f.rule.severity << " | " << f.rule.id << " | `" << cell(f.rule.setting_path) << "` | "
               << cell(current_text(f.current)) << " | " << cell(f.rule.recommended) << " |\n";
        }
        if (header) {
            md << "\n";
            for (const auto& f : r.findings)
                if (f.rule.application == app)
                    md << "- **" << f.rule.id << "** — " << (f.explanation.empty() ? f.rule.rationale : f.explanation)
                       << (f.impact.empty() ? "" : " *Impact:* " + f.impact) << "\n";
        }
    }
    if (r.findings.empty()) md << "\nNo findings: the stack follows every rule in the catalog.\n";
    return md.str();
}

std::string report_text(const AuditReport& r, bool color) {
    auto paint = [&](const char* code, const std::string& s) {
        return color ? std::string("\x1b[") + code + "m" + s + "\x1b[0m" : s;
    };
    static const std::map<std::string, const char*> sev_color = {
        {"critical", "1;31"}, {"high", "31"}, {"medium", "33"}, {"low", "36"}};
    std::ostringstream out;
    out << paint("1", "AutoArr audit") << "  score " << paint("1", std::to_string(r.score) + "/100") << "  "
        << r.findings.size() << " findings  mode " << r.mode << (r.provider ? " (" + *r.provider + ")" : "") << "\n";
    out << "  " << explained_line(r) << "\n";
    if (!r.mode_reason.empty()) out << "  " << r.mode_reason << "\n";
    for (const auto& a : r.applications)
        out << "  " << app_title(a.name) << ": " << a.status << (a.version.empty() ? "" : " " + a.version)
            << (a.error.empty() ? "" : " (" + a.error + ")") << "\n";
    for (const char* app : kApps) {
        for (const char* sev : {"critical", "high", "medium", "low"}) {
            bool header = false;
            for (const auto& f : r.findings) {
                if (f.rule.application != app || f.rule.severity != sev) continue;
                if (!header) {
                    out << "\n" << paint("1", app_title(app)) << " — " << paint(sev_color.at(sev), sev) << "\n";
                    header = true;
                }
                out << "  " << f.rule.id << "  " << f.rule.setting_path << "\n";
                std::string cur = current_text(f.current);
                if (!cur.empty()) out << "      now: " << cur << "\n";
                out << "      fix: " << f.rule.recommended << "\n";
                out << "      why: " << (f.explanation.empty() ? f.rule.rationale : f.explanation) << "\n";
            }
        }
    }
    return out.str();
}

}  // namespace autoarr::audit
