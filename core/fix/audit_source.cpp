#include "fix/audit_source.h"

#include <set>
#include <stdexcept>

#include "fix/app_writer.h"

namespace autoarr::fix {
namespace json = boost::json;

AuditedStack stored_audit(store::Store& store, const std::string& audit_id, const audit::RuleSet& rules) {
    auto row = store.audit(audit_id);
    if (!row) throw std::invalid_argument("no audit " + audit_id);
    auto docs = store.audit_documents(audit_id);
    if (!docs)
        throw std::invalid_argument("audit " + audit_id +
                                    " has no stored documents (it was made before fixes existed): run a new audit");
    json::error_code ec;
    json::value d = json::parse(*docs, ec);
    if (ec || !d.is_object()) throw std::invalid_argument("audit " + audit_id + ": its stored documents are damaged");
    std::set<std::string> reported;
    json::value report = json::parse(row->report_json, ec);
    if (!ec && report.is_object())
        if (const auto* fs = report.get_object().if_contains("findings"); fs && fs->is_array())
            for (const auto& f : fs->get_array())
                if (f.is_object())
                    if (const auto* id = f.get_object().if_contains("rule_id"); id && id->is_string())
                        reported.insert(std::string(id->get_string()));
    AuditedStack out;
    out.audit_id = audit_id;
    out.today = row->created_at.substr(0, 10);
    out.documents = std::move(d.get_object());
    for (auto& f : audit::evaluate_rules(rules, out.documents, out.today))
        if (reported.count(f.rule.id)) out.findings.push_back(std::move(f));
    return out;
}

Writers writers_for(const std::map<std::string, config::AppConfig>& apps, std::chrono::milliseconds timeout) {
    return Writers([apps, timeout](const std::string& app) -> std::unique_ptr<AppWriter> {
        auto it = apps.find(app);
        if (it == apps.end()) throw WriteError(app + " is not configured (set its URL and API key)");
        return make_writer(app, it->second, timeout);
    });
}

}  // namespace autoarr::fix
