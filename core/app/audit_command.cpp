#include "app/audit_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "app/cli_args.h"
#include "app/default_paths.h"
#include "app/host.h"
#include "app/progress_line.h"
#include "audit/audit_run.h"
#include "audit/redact.h"
#include "audit/rule_set.h"
#include "config/config.h"
#include "connectors/live.h"
#include "connectors/stack.h"
#include "store/store.h"
#include "util/strings.h"
#include "util/utc_time.h"

namespace autoarr::app {

namespace {
constexpr const char* kUsage =
    "usage: autoarr audit [--from DIR] [--provider ID] [--format json|markdown|text] [--fail-on SEVERITY]\n"
    "                     [--save DIR] [--no-llm] [--no-cache] [--progress] [--deadline SECONDS]\n"
    "                     [--rules FILE] [--today YYYY-MM-DD] [--config FILE] [--plugin-dir DIR]...\n"
    "                     [--no-builtin-plugins]\n"
    "  --no-cache   ask the model about every finding, without reading or writing the explanation cache\n"
    "  --progress   print the explanation progress on stderr even when it is not a terminal\n"
    "  --deadline   seconds the model may take in all (default 180); what was explained by then is kept\n"
    "  --today      the date the rules' $today is (default: today), to repeat an earlier audit exactly\n"
    "exit: 0 done, 3 a finding at or above --fail-on, 2 error\n";
}

int run_audit_command(const std::vector<std::string>& args) {
    CliArgs a(args, {"--no-llm", "--no-builtin-plugins", "--no-cache", "--progress", "--help"},
              with_host_flags({"--from", "--format", "--fail-on", "--save", "--rules", "--today", "--deadline"}));
    if (auto code = usage_exit(a, "audit", kUsage)) return *code;
    const std::string format = a.value("--format").value_or("text");
    if (format != "json" && format != "markdown" && format != "text") {
        std::cerr << "autoarr audit: --format must be json, markdown or text, not \"" << format << "\"\n";
        return 2;
    }
    std::chrono::milliseconds deadline{180000};
    if (auto d = a.value("--deadline")) {
        auto secs = util::parse_number(*d);
        if (!secs || !(*secs > 0) || *secs > 86400) {
            std::cerr << "autoarr audit: --deadline must be a number of seconds from 0 to 86400, not \"" << *d
                      << "\"\n";
            return 2;
        }
        deadline = std::chrono::milliseconds(static_cast<int64_t>(*secs * 1000));
    }
    if (auto today = a.value("--today"); today && !util::is_calendar_date(*today)) {
        std::cerr << "autoarr audit: --today must be a date written YYYY-MM-DD, not \"" << *today << "\"\n";
        return 2;
    }
    std::optional<std::string> fail_on = a.value("--fail-on");
    if (fail_on && audit::severity_rank(*fail_on) > 3) {
        std::cerr << "autoarr audit: --fail-on must be critical, high, medium or low, not \"" << *fail_on << "\"\n";
        return 2;
    }

    audit::RuleSet rules;
    try {
        rules = audit::load_rules(a.value("--rules").value_or(default_rules_path().string()));
    } catch (const std::exception& e) {
        std::cerr << "autoarr audit: " << e.what() << "\n";
        return 2;
    }

    connectors::Stack stack;
    if (auto from = a.value("--from")) {
        try {
            stack = connectors::read_stack_dir(*from);
        } catch (const std::exception& e) {
            std::cerr << "autoarr audit: " << e.what() << "\n";
            return 2;
        }
    } else {
        config::Sources sources;
        sources.env = config::process_environment();
        if (auto f = a.value("--config")) sources.file = *f;
        config::Config cfg = config::load(sources);
        for (const auto& e : cfg.errors) std::cerr << "autoarr audit: " << e << "\n";
        if (!cfg.errors.empty()) return 2;
        if (cfg.apps.empty()) {
            std::cerr << "autoarr audit: no applications configured: set SABNZBD_URL/SABNZBD_API_KEY, "
                         "SONARR_URL/SONARR_API_KEY or RADARR_URL/RADARR_API_KEY (or \"apps\" in the config file), "
                         "or audit saved documents with --from DIR\n";
            return 2;
        }
        stack = connectors::fetch_stack(cfg.apps);
    }
    if (stack.documents.empty()) {
        std::cerr << "autoarr audit: no application documents found";
        for (const auto& app : stack.apps)
            if (!app.error.empty()) std::cerr << "; " << app.name << ": " << app.error;
        std::cerr << "\n";
        return 2;
    }

    std::unique_ptr<Host> host;
    audit::AuditOptions opts;
    opts.enrich = !a.has("--no-llm");
    opts.explain.provider = a.value("--provider");
    if (auto today = a.value("--today")) opts.today = *today;
    if (opts.enrich) {
        host = build_host(host_options(a));
        for (const auto& e : host->errors) std::cerr << "autoarr audit: " << e << "\n";
        if (!host->errors.empty()) return 2;
        if (opts.explain.provider && !host->registry.find(*opts.explain.provider)) {
            std::cerr << "autoarr audit: unknown provider \"" << *opts.explain.provider << "\"\n";
            return 2;
        }
    }
    opts.explain.deadline = deadline;
    std::unique_ptr<store::Store> cache;
    if (host && !a.has("--no-cache")) {
        const std::string path = default_db_path();
        try {
            cache = std::make_unique<store::Store>(path);
            opts.explain.cache = cache.get();
            opts.explain.cache_ttl_days = host->config.explanation_cache_days;
            cache->purge_explanations(opts.explain.cache_ttl_days);
        } catch (const std::exception& e) {
            std::cerr << "autoarr audit: the explanation cache is not used: " << e.what() << "\n";
        }
    }
    ProgressLine progress(ProgressLine::choose(::isatty(STDERR_FILENO), a.has("--progress")));
    opts.explain.on_progress = [&](const audit::EnrichmentProgress& p) { progress.update(p); };
    auto report = audit::run_audit(stack, rules, host ? host->router.get() : nullptr, opts);
    progress.finish();
    const auto& stats = report.enrichment;
    if (stats.state != "skipped" && stats.explained < stats.total)
        std::cerr << "autoarr audit: explained " << stats.explained << " of " << stats.total << " findings; "
                  << (stats.total - stats.explained) << " not explained: " << stats.not_explained_reason << "\n";

    if (auto save = a.value("--save")) {
        connectors::Stack redacted = stack;
        boost::json::value docs = redacted.documents;
        audit::redact(docs);
        redacted.documents = docs.as_object();
        try {
            connectors::save_stack_dir(redacted, *save);
        } catch (const std::exception& e) {
            std::cerr << "autoarr audit: cannot save the snapshot: " << e.what() << "\n";
            return 2;
        }
    }

    if (format == "json")
        std::cout << audit::report_json(report) << "\n";
    else if (format == "markdown")
        std::cout << audit::report_markdown(report);
    else
        std::cout << audit::report_text(report,
                                        ::isatty(STDOUT_FILENO) && !config::no_color(config::process_environment()));

    if (fail_on)
        for (const auto& f : report.findings)
            if (audit::severity_rank(f.rule.severity) <= audit::severity_rank(*fail_on)) return 3;
    return 0;
}

}  // namespace autoarr::app
