#include "app/fix_command.h"

#include <unistd.h>

#include <iostream>

#include "app/cli_args.h"
#include "app/default_paths.h"
#include "audit/audit_run.h"
#include "audit/rule_set.h"
#include "connectors/live.h"
#include "fix/audit_source.h"
#include "fix/fix_report.h"
#include "fix/fix_run.h"
#include "store/store.h"
#include "util/utc_time.h"

namespace autoarr::app {

namespace {

constexpr const char* kFixUsage =
    "usage: autoarr fix [RULE_ID...] [--audit ID] [--severity SEVERITY] [--yes] [--force] [--rollback-on-failure]\n"
    "                   [--format text|markdown|json] [--config FILE] [--rules FILE] [--db PATH]\n"
    "                   [--today YYYY-MM-DD]\n"
    "  Audits the live stack (or takes the stored audit --audit ID) and shows, per application, each\n"
    "  setting it would change: before, after and the exact API call. Nothing is written without --yes.\n"
    "  RULE_ID...            only these findings (default: every fixable one)\n"
    "  --severity S          only findings of severity S and above (critical, high, medium, low)\n"
    "  --yes                 write the changes, then read them back and re-audit\n"
    "  --force               write even where a value changed since the audit\n"
    "  --rollback-on-failure undo this run's changes at once when one fails\n"
    "  --today D             the date the rules' $today is, for the audit and the re-audit (default: today,\n"
    "                        or the stored audit's date with --audit)\n"
    "exit: 0 done, 3 a change failed or was refused, or a finding is left, 2 error\n";

constexpr const char* kRollbackUsage =
    "usage: autoarr rollback CHANGE_SET [--yes] [--force] [--format text|json] [--config FILE] [--rules FILE] "
    "[--db PATH]\n"
    "  Writes back the values a change set replaced (last first), then re-audits. A field changed since\n"
    "  the fix is refused unless --force. Asks first on a terminal; --yes skips the question (and is\n"
    "  needed when not on a terminal).\n"
    "exit: 0 rolled back, 3 some field could not be, 2 error\n";

constexpr const char* kChangesUsage =
    "usage: autoarr changes [--format text|json] [--limit N] [--db PATH]\n"
    "  Lists the change sets that fixes made, newest first, with each field's before and after value.\n";

constexpr std::chrono::milliseconds kAppTimeout{15000};

bool format_ok(const std::string& f, bool markdown) {
    return f == "text" || f == "json" || (markdown && f == "markdown");
}

std::optional<config::Config> load_config(const CliArgs& a, const char* cmd) {
    config::Sources sources;
    sources.env = config::process_environment();
    if (auto f = a.value("--config")) sources.file = *f;
    config::Config cfg = config::load(sources);
    for (const auto& e : cfg.errors) std::cerr << "autoarr " << cmd << ": " << e << "\n";
    if (!cfg.errors.empty()) return std::nullopt;
    return cfg;
}

std::optional<audit::RuleSet> load_rule_file(const CliArgs& a, const char* cmd) {
    try {
        return audit::load_rules(a.value("--rules").value_or(default_rules_path().string()));
    } catch (const std::exception& e) {
        std::cerr << "autoarr " << cmd << ": " << e.what() << "\n";
        return std::nullopt;
    }
}

// Audits the live stack (rules only) and stores the audit with its
// documents, so the change set names an audit that can be read back.
std::optional<fix::AuditedStack> live_audit(const config::Config& cfg, const audit::RuleSet& rules, store::Store& store,
                                            const std::optional<std::string>& today) {
    connectors::Stack stack = connectors::fetch_stack(cfg.apps);
    bool failed = false;
    for (const auto& app : stack.apps)
        if (app.status == "error") {
            std::cerr << "autoarr fix: " << app.name << ": " << app.error << "\n";
            failed = true;
        }
    if (failed || stack.documents.empty()) {
        std::cerr << "autoarr fix: every configured application must answer before anything is fixed\n";
        return std::nullopt;
    }
    audit::AuditOptions opts;
    opts.enrich = false;
    if (today) opts.today = *today;
    audit::AuditReport report = audit::rules_audit(stack, rules, nullptr, opts);
    std::vector<std::pair<std::string, std::string>> ids;
    for (const auto& f : report.findings) ids.emplace_back(f.rule.id, f.rule.severity);
    store.save_audit({report.audit_id, report.created_at, report.mode, "", report.score, 0, audit::report_json(report),
                      report.enrichment.state, boost::json::serialize(report.redacted_documents)},
                     ids);
    fix::AuditedStack out;
    out.audit_id = report.audit_id;
    out.today = today.value_or(report.created_at.substr(0, 10));
    out.documents = stack.documents;  // plan from what was read, not from the redacted copy
    out.findings = report.findings;
    return out;
}

bool confirm(const std::string& question) {
    std::cerr << question << " [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace

int run_fix_command(const std::vector<std::string>& args) {
    CliArgs a(args, {"--yes", "--force", "--rollback-on-failure", "--help"},
              {"--audit", "--severity", "--format", "--config", "--rules", "--db", "--today"});
    if (auto code = usage_exit(a, "fix", kFixUsage, /*takes_positional=*/true)) return *code;
    if (auto today = a.value("--today"); today && !util::is_calendar_date(*today)) {
        std::cerr << "autoarr fix: --today must be a date written YYYY-MM-DD, not \"" << *today << "\"\n";
        return 2;
    }
    const std::string format = a.value("--format").value_or("text");
    if (!format_ok(format, true)) {
        std::cerr << "autoarr fix: --format must be text, markdown or json, not \"" << format << "\"\n";
        return 2;
    }
    fix::FixRequest request;
    request.selection.rule_ids = a.positional();
    request.selection.min_severity = a.value("--severity").value_or("");
    if (!request.selection.min_severity.empty() && audit::severity_rank(request.selection.min_severity) > 3) {
        std::cerr << "autoarr fix: --severity must be critical, high, medium or low, not \""
                  << request.selection.min_severity << "\"\n";
        return 2;
    }
    request.dry_run = !a.has("--yes");
    request.force = a.has("--force");
    request.rollback_on_failure = a.has("--rollback-on-failure");

    auto cfg = load_config(a, "fix");
    if (!cfg) return 2;
    auto rules = load_rule_file(a, "fix");
    if (!rules) return 2;
    if (cfg->apps.empty()) {
        std::cerr << "autoarr fix: no applications configured: set SABNZBD_URL/SABNZBD_API_KEY, "
                     "SONARR_URL/SONARR_API_KEY or RADARR_URL/RADARR_API_KEY (or \"apps\" in the config file)\n";
        return 2;
    }
    try {
        store::Store store(a.value("--db").value_or(default_db_path()));
        std::optional<fix::AuditedStack> audited;
        if (auto id = a.value("--audit"))
            audited = fix::stored_audit(store, *id, *rules);
        else
            audited = live_audit(*cfg, *rules, store, a.value("--today"));
        if (!audited) return 2;
        request.today = a.value("--today").value_or(audited->today);
        fix::Writers writers = fix::writers_for(cfg->apps, kAppTimeout);
        const auto apps = cfg->apps;
        fix::FixRun run = fix::run_fix(*rules, audited->audit_id, audited->findings, audited->documents, request,
                                       writers, &store, [&apps] { return connectors::fetch_stack(apps); });
        if (format == "json")
            std::cout << boost::json::serialize(fix::fix_json(run)) << "\n";
        else if (format == "markdown")
            std::cout << fix::fix_markdown(run);
        else
            std::cout << fix::fix_text(run);
        if (run.applied &&
            (!run.verification.failed.empty() || !run.verification.left.empty() || !run.applied->stopped_by.empty()))
            return 3;
        return 0;
    } catch (const std::invalid_argument& e) {
        std::cerr << "autoarr fix: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "autoarr fix: " << e.what() << "\n";
        return 2;
    }
}

int run_rollback_command(const std::vector<std::string>& args) {
    CliArgs a(args, {"--yes", "--force", "--help"}, {"--format", "--config", "--rules", "--db"});
    if (auto code = usage_exit(a, "rollback", kRollbackUsage, /*takes_positional=*/true)) return *code;
    if (a.positional().size() != 1) {
        std::cerr << "autoarr rollback: name one change set (autoarr changes lists them)\n" << kRollbackUsage;
        return 2;
    }
    const std::string id = a.positional()[0];
    const std::string format = a.value("--format").value_or("text");
    if (!format_ok(format, false)) {
        std::cerr << "autoarr rollback: --format must be text or json, not \"" << format << "\"\n";
        return 2;
    }
    auto cfg = load_config(a, "rollback");
    if (!cfg) return 2;
    auto rules = load_rule_file(a, "rollback");
    if (!rules) return 2;
    try {
        store::Store store(a.value("--db").value_or(default_db_path()));
        auto set = store.change_set(id);
        if (!set) {
            std::cerr << "autoarr rollback: no change set " << id << " (autoarr changes lists them)\n";
            return 2;
        }
        if (!a.has("--yes")) {
            if (!::isatty(STDIN_FILENO)) {
                std::cerr << "autoarr rollback: not on a terminal: pass --yes to roll back " << id << "\n";
                return 2;
            }
            std::cerr << fix::changes_text({*set});
            if (!confirm("Write these fields' before values back?")) {
                std::cerr << "autoarr rollback: nothing was changed\n";
                return 0;
            }
        }
        fix::Writers writers = fix::writers_for(cfg->apps, kAppTimeout);
        const auto apps = cfg->apps;
        fix::RollbackRun run = fix::run_rollback(*rules, id, a.has("--force"), writers, store,
                                                 [&apps] { return connectors::fetch_stack(apps); });
        if (format == "json")
            std::cout << boost::json::serialize(fix::rollback_json(run)) << "\n";
        else
            std::cout << fix::rollback_text(run);
        return run.result.state == "rolled_back" ? 0 : 3;
    } catch (const std::exception& e) {
        std::cerr << "autoarr rollback: " << e.what() << "\n";
        return 2;
    }
}

int run_changes_command(const std::vector<std::string>& args) {
    CliArgs a(args, {"--help"}, {"--format", "--limit", "--db"});
    if (auto code = usage_exit(a, "changes", kChangesUsage)) return *code;
    const std::string format = a.value("--format").value_or("text");
    if (!format_ok(format, false)) {
        std::cerr << "autoarr changes: --format must be text or json, not \"" << format << "\"\n";
        return 2;
    }
    int64_t limit = 50;
    if (auto l = a.value("--limit")) {
        char* end = nullptr;
        limit = std::strtoll(l->c_str(), &end, 10);
        if (l->empty() || *end || limit < 1 || limit > 10000) {
            std::cerr << "autoarr changes: --limit must be a number from 1 to 10000, not \"" << *l << "\"\n";
            return 2;
        }
    }
    try {
        store::Store store(a.value("--db").value_or(default_db_path()));
        auto sets = store.change_sets(limit);
        if (format == "json")
            std::cout << boost::json::serialize(fix::changes_json(sets)) << "\n";
        else
            std::cout << fix::changes_text(sets);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "autoarr changes: " << e.what() << "\n";
        return 2;
    }
}

}  // namespace autoarr::app
