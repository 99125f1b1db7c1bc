#include "fix/fix_report.h"

#include <map>

#include "fix/app_writer.h"

namespace autoarr::fix {
namespace json = boost::json;

namespace {

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

json::object change_json(const Change& c) {
    return {{"rule_id", c.rule_id},
            {"severity", c.severity},
            {"app", c.app},
            {"setting", setting_name(c)},
            {"resource", c.resource},
            {"item", c.item},
            {"field", c.field},
            {"before", c.before},
            {"after", c.after},
            {"call", describe_call(c, c.after)},
            {"restart_required", c.restart}};
}

json::object verification_json(const Verification& v) {
    json::object o{{"ran", v.ran},
                   {"fixed", strings(v.fixed)},
                   {"failed", strings(v.failed)},
                   {"left", strings(v.left)},
                   {"restart_required", strings(v.restart_required)},
                   {"score_before", v.score_before}};
    if (v.ran) {
        o["score_after"] = v.score_after;
        o["findings_after"] = v.findings_after;
    } else {
        o["error"] = v.error;
    }
    return o;
}

json::array outcomes_json(const std::vector<FieldOutcome>& fields) {
    json::array a;
    for (const auto& f : fields) {
        json::object o = change_json(f.change);
        o["state"] = f.state;
        if (!f.error.empty()) o["error"] = f.error;
        a.push_back(std::move(o));
    }
    return a;
}

std::string shown(const json::value& v) {
    return json::serialize(v);
}

// The changes by application, in write order.
std::vector<std::pair<std::string, std::vector<const Change*>>> by_app(const std::vector<Change>& changes) {
    std::vector<std::pair<std::string, std::vector<const Change*>>> out;
    for (const auto& c : changes) {
        if (out.empty() || out.back().first != c.app) out.push_back({c.app, {}});
        out.back().second.push_back(&c);
    }
    return out;
}

std::string verification_text(const Verification& v) {
    std::string s;
    if (!v.ran) return "re-audit: not run (" + v.error + ")\n";
    auto list = [](const std::vector<std::string>& ids) {
        std::string out;
        for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
        return out.empty() ? std::string("none") : out;
    };
    s += "re-audit: score " + std::to_string(v.score_before) + " -> " + std::to_string(v.score_after) + ", " +
         std::to_string(v.findings_after) + " findings\n";
    s += "  fixed:  " + list(v.fixed) + "\n";
    s += "  failed: " + list(v.failed) + "\n";
    s += "  left:   " + list(v.left) + "\n";
    if (!v.restart_required.empty()) s += "  restart before it takes effect: " + list(v.restart_required) + "\n";
    return s;
}

}  // namespace

json::object fix_json(const FixRun& run) {
    json::object o{{"audit_id", run.audit_id}, {"dry_run", run.dry_run}};
    json::array apps;
    for (const auto& [app, changes] : by_app(run.plan.changes)) {
        json::array a;
        for (const Change* c : changes) a.push_back(change_json(*c));
        apps.push_back(json::object{{"app", app}, {"changes", std::move(a)}});
    }
    o["apps"] = std::move(apps);
    json::array manual;
    for (const auto& m : run.plan.manual)
        manual.push_back(json::object{{"rule_id", m.rule_id}, {"severity", m.severity}, {"reason", m.reason}});
    o["manual"] = std::move(manual);
    if (run.applied) {
        const ApplyResult& r = *run.applied;
        o["change_set"] = json::object{{"id", r.change_set_id}, {"state", r.state}};
        o["fields"] = outcomes_json(r.fields);
        o["stopped_by"] = r.stopped_by;
        if (!r.rollback.empty()) o["rollback"] = outcomes_json(r.rollback);
        o["verification"] = verification_json(run.verification);
        // The summary the issue names, at the top level too.
        o["fixed"] = strings(run.verification.fixed);
        o["failed"] = strings(run.verification.failed);
        o["left"] = strings(run.verification.left);
        o["restart_required"] = strings(run.verification.restart_required);
    }
    return o;
}

std::string fix_text(const FixRun& run) {
    std::string s;
    if (run.plan.changes.empty()) s += "Nothing to fix automatically.\n";
    for (const auto& [app, changes] : by_app(run.plan.changes)) {
        s += app + ":\n";
        for (const Change* c : changes) {
            s += "  " + c->rule_id + "  " + setting_name(*c) + ": " + shown(c->before) + " -> " + shown(c->after) +
                 (c->restart ? "  (restart needed)" : "") + "\n";
            s += "      " + describe_call(*c, c->after) + "\n";
        }
    }
    if (!run.plan.manual.empty()) {
        s += "manual fixes (" + std::to_string(run.plan.manual.size()) + "):\n";
        for (const auto& m : run.plan.manual) s += "  " + m.rule_id + "  " + m.reason + "\n";
    }
    if (!run.applied) {
        if (!run.plan.changes.empty())
            s += "Dry run: nothing was written. Run again with --yes to apply these " +
                 std::to_string(run.plan.changes.size()) + " changes.\n";
        return s;
    }
    const ApplyResult& r = *run.applied;
    s += "\nchange set " + r.change_set_id + ": " + r.state + "\n";
    for (const auto& f : r.fields)
        s += "  " + f.state + "  " + f.change.app + " " + setting_name(f.change) +
             (f.error.empty() ? "" : ": " + f.error) + "\n";
    if (!r.stopped_by.empty()) s += "stopped by: " + r.stopped_by + "\n";
    for (const auto& f : r.rollback)
        s += "  rollback " + f.state + "  " + f.change.app + " " + setting_name(f.change) +
             (f.error.empty() ? "" : ": " + f.error) + "\n";
    s += verification_text(run.verification);
    s += "Undo with: autoarr rollback " + r.change_set_id + "\n";
    return s;
}

std::string fix_markdown(const FixRun& run) {
    auto cell = [](std::string v) {
        std::string out;
        for (char c : v) out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
        return out;
    };
    std::string s =
        std::string("# AutoArr fixes") + (run.dry_run ? " (dry run)" : "") + "\n\nAudit `" + run.audit_id + "`.\n";
    for (const auto& [app, changes] : by_app(run.plan.changes)) {
        s +=
            "\n## " + app + "\n\n| rule | setting | before | after | API call | restart |\n|---|---|---|---|---|---|\n";
        for (const Change* c : changes)
            s += "| " + c->rule_id + " | `" + cell(setting_name(*c)) + "` | `" + cell(shown(c->before)) + "` | `" +
                 cell(shown(c->after)) + "` | `" + cell(describe_call(*c, c->after)) + "` | " +
                 (c->restart ? "yes" : "no") + " |\n";
    }
    if (!run.plan.manual.empty()) {
        s += "\n## Manual fixes\n\n| rule | why |\n|---|---|\n";
        for (const auto& m : run.plan.manual) s += "| " + m.rule_id + " | " + cell(m.reason) + " |\n";
    }
    if (run.applied) {
        s += "\n## Result\n\nChange set `" + run.applied->change_set_id + "`: " + run.applied->state + ".\n\n```\n" +
             verification_text(run.verification) + "```\n";
    }
    return s;
}

json::object rollback_json(const RollbackRun& run) {
    return {{"change_set", json::object{{"id", run.result.change_set_id}, {"state", run.result.state}}},
            {"fields", outcomes_json(run.result.fields)},
            {"verification", verification_json(run.verification)}};
}

std::string rollback_text(const RollbackRun& run) {
    std::string s = "change set " + run.result.change_set_id + ": " + run.result.state + "\n";
    if (run.result.fields.empty()) s += "  nothing of it had been written\n";
    for (const auto& f : run.result.fields)
        s += "  " + f.state + "  " + f.change.app + " " + setting_name(f.change) + " -> " + shown(f.change.before) +
             (f.error.empty() ? "" : ": " + f.error) + "\n";
    const Verification& v = run.verification;
    if (!v.ran)
        s += "re-audit: not run (" + v.error + ")\n";
    else
        s += "re-audit: score " + std::to_string(v.score_after) + ", " + std::to_string(v.findings_after) +
             " findings\n";
    if (!v.restart_required.empty()) {
        s += "restart before it takes effect:";
        for (const auto& a : v.restart_required) s += " " + a;
        s += "\n";
    }
    return s;
}

json::object change_set_json(const store::ChangeSetRow& set) {
    json::array fields;
    for (const auto& f : set.fields) {
        json::object o = change_json(change_of(f));
        o["seq"] = f.seq;
        o["state"] = f.state;
        o["error"] = f.error;
        fields.push_back(std::move(o));
    }
    return {{"id", set.id},       {"created_at", set.created_at},         {"audit_id", set.audit_id},
            {"state", set.state}, {"rolled_back_at", set.rolled_back_at}, {"fields", std::move(fields)}};
}

json::object changes_json(const std::vector<store::ChangeSetRow>& sets) {
    json::array a;
    for (const auto& s : sets) a.push_back(change_set_json(s));
    return {{"changes", std::move(a)}};
}

std::string changes_text(const std::vector<store::ChangeSetRow>& sets) {
    if (sets.empty()) return "No change sets yet.\n";
    std::string s;
    for (const auto& set : sets) {
        s += set.id + "  " + set.created_at + "  " + set.state + "  audit " + set.audit_id + "\n";
        for (const auto& f : set.fields) {
            Change c = change_of(f);
            s += "    " + f.state + "  " + f.app + " " + setting_name(c) + ": " + shown(c.before) + " -> " +
                 shown(c.after) + "\n";
        }
    }
    return s;
}

}  // namespace autoarr::fix
