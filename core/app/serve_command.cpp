#include "app/serve_command.h"

#include <signal.h>

#include <boost/asio/ip/address.hpp>
#include <cstdlib>
#include <iostream>

#include "app/cli_args.h"
#include "app/default_paths.h"
#include "app/host.h"
#include "audit/audit_run.h"
#include "config/config.h"
#include "connectors/stack.h"
#include "plugin/records_json.h"
#include "routing/health_monitor.h"
#include "server/api.h"
#include "server/static_site.h"
#include "util/log.h"
#include "util/open_file_limit.h"
#include "util/paths.h"
#include "util/secret_scrubber.h"
#include "util/strings.h"
#include "version.h"

namespace autoarr::app {

namespace {

constexpr const char* kUsage =
    "usage: autoarr serve [--listen HOST:PORT] [--db PATH] [--config FILE] [--plugin-dir DIR]...\n"
    "                     [--sample-stack DIR] [--audit-on-start] [--health-interval SECONDS]\n"
    "                     [--workers N] [--max-queue N] [--max-connections N] [--response-timeout SECONDS]\n"
    "                     [--allowed-host NAME]... [--allowed-origin ORIGIN]... [--recover] [--web-dir DIR]\n"
    "  --workers N   requests that call a provider handled at once (1-256, default 4); health,\n"
    "                metrics and reads are answered at once regardless\n"
    "  --max-queue N          such requests waiting for a slot (0-100000, default 64); more get 503\n"
    "  --max-connections N    open connections (16-1000000, default 1024); at the cap the longest-idle\n"
    "                         one is closed to make room\n"
    "  --response-timeout S   a whole response, waiting included (default 300); then it is cancelled\n"
    "  --allowed-host NAME    a Host name to answer for besides the listen address and localhost\n"
    "  --allowed-origin O     a web origin (https://app.example) allowed to call the API cross-origin\n"
    "  --recover              when the database is damaged, copy what can be read into a new file at the\n"
    "                         same path and keep the damaged one beside it (docs/operations.md)\n"
    "  --web-dir DIR          the web UI's built files (default <bindir>/../share/autoarr/web)\n"
    "environment: AUTOARR_LISTEN, AUTOARR_DB, AUTOARR_API_TOKEN (required to listen beyond loopback),\n"
    "             AUTOARR_ALLOWED_HOSTS, AUTOARR_ALLOWED_ORIGINS (comma-separated), AUTOARR_WEB_DIR\n";

// A whole number from `lo` to `hi` for `flag`, or an error printed and nullopt.
std::optional<int64_t> count_flag(const CliArgs& a, const char* flag, int64_t lo, int64_t hi, int64_t def) {
    const auto text = a.value(flag);
    if (!text) return def;
    const auto n = util::parse_int(*text);
    if (n && *n >= lo && *n <= hi) return n;
    std::cerr << "autoarr serve: " << flag << " must be a whole number from " << lo << " to " << hi << ", not \""
              << *text << "\"\n";
    return std::nullopt;
}

// "scheme://host[:port]", as a browser sends it in Origin: no path, no trailing slash.
bool is_origin(const std::string& o) {
    const auto scheme_end = o.find("://");
    return (o.starts_with("http://") || o.starts_with("https://")) && o.size() > scheme_end + 3 &&
           o.find('/', scheme_end + 3) == std::string::npos;
}

bool parse_listen(const std::string& text, std::string& host, uint16_t& port) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    char* end = nullptr;
    long p = std::strtol(text.c_str() + colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || colon + 1 == text.size()) return false;
    port = static_cast<uint16_t>(p);
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

// The store at path; a damaged one is refused (nullptr, the reason on
// stderr) unless `recover`, which copies what can be read into a new file
// first. Other errors throw.
std::unique_ptr<store::Store> open_store(const std::string& path, bool recover) {
    try {
        return std::make_unique<store::Store>(path);
    } catch (const store::DamagedDatabase& e) {
        if (!recover) {
            std::cerr << "autoarr serve: " << e.what()
                      << "\nStart with --recover to copy what can be read into a new file (the damaged one is "
                         "kept), or restore a backup.\n";
            return nullptr;
        }
        log::warn("store", std::string(e.what()) + "; recovering");
    }
    const auto report = store::Store::recover(path);
    for (const auto& loss : report.lost) log::warn("store", "recovery of " + path + ": " + loss);
    log::warn("store", "recovered " + path + ": " + std::to_string(report.rows_copied) + " rows copied, " +
                           std::to_string(report.lost.size()) + " unreadable or invalid ranges left behind" +
                           "; the damaged file is kept as " + report.kept_as.string());
    return std::make_unique<store::Store>(path);
}

}  // namespace

int run_serve_command(const std::vector<std::string>& args) {
    CliArgs a(args, {"--no-builtin-plugins", "--audit-on-start", "--recover", "--help"},
              with_host_flags({"--listen", "--db", "--sample-stack", "--health-interval", "--workers", "--max-queue",
                               "--max-connections", "--response-timeout", "--allowed-host", "--allowed-origin",
                               "--web-dir"}));
    if (auto code = usage_exit(a, "serve", kUsage)) return *code;
    const config::Environment env = config::process_environment();
    std::string listen = a.value("--listen").value_or(config::listen_address(env).value_or("127.0.0.1:8000"));
    server::ServerOptions so;
    if (!parse_listen(listen, so.address, so.port)) {
        std::cerr << "autoarr serve: --listen \"" << listen << "\" is not HOST:PORT with an IP address\n";
        return 2;
    }
    const std::string token = config::api_token(env);
    const bool loopback = boost::asio::ip::make_address(so.address).is_loopback();
    if (!loopback && token.empty()) {
        std::cerr << "autoarr serve: refusing to listen on " << listen
                  << " without AUTOARR_API_TOKEN: anyone on the network could use your providers and read your "
                     "audits. Set a token, or listen on 127.0.0.1.\n";
        return 2;
    }
    if (const auto why = config::api_token_problem(token); !loopback && !why.empty()) {
        std::cerr << "autoarr serve: refusing to listen on " << listen << ": AUTOARR_API_TOKEN " << why << "\n";
        return 2;
    }
    util::process_secrets().add(token);  // never echoed in an error or stored
    if (auto w = a.value("--workers")) {
        const auto n = util::parse_int(*w);
        if (!n || *n < 1 || *n > 256) {
            std::cerr << "autoarr serve: --workers must be a whole number from 1 to 256, not \"" << *w << "\"\n";
            return 2;
        }
        so.workers = static_cast<unsigned>(*n);
    }

    const auto queue = count_flag(a, "--max-queue", 0, 100000, static_cast<int64_t>(so.queue_limit));
    const auto connections = count_flag(a, "--max-connections", 16, 1000000, static_cast<int64_t>(so.max_connections));
    if (!queue || !connections) return 2;
    so.queue_limit = static_cast<std::size_t>(*queue);
    so.max_connections = static_cast<std::size_t>(*connections);
    if (auto rt = a.value("--response-timeout")) {
        const double seconds = util::parse_number(*rt).value_or(0);
        if (!(seconds >= 1) || seconds > 86400) {
            std::cerr << "autoarr serve: --response-timeout must be a number of seconds from 1 to 86400, not \"" << *rt
                      << "\"\n";
            return 2;
        }
        so.response_timeout = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    }
    auto access = config::serve_access(env);
    for (auto& h : a.values("--allowed-host")) access.allowed_hosts.push_back(h);
    for (auto& o : a.values("--allowed-origin")) access.allowed_origins.push_back(o);
    for (const auto& o : access.allowed_origins)
        if (!is_origin(o)) {
            std::cerr << "autoarr serve: allowed origin \"" << o
                      << "\" is not scheme://host[:port] (http or https, no path), as a browser sends it\n";
            return 2;
        }
    so.allowed_hosts = std::move(access.allowed_hosts);
    so.allowed_origins = std::move(access.allowed_origins);

    // Every connection is a descriptor: systemd's default soft limit (1024) is far below what the hard limit allows.
    const auto files = util::raise_open_file_limit();
    if (!files.error.empty()) log::warn("server", files.error);

    double interval = 30;
    if (auto hi = a.value("--health-interval")) interval = util::parse_number(*hi).value_or(0);  // "5x" is wrong
    if (!(interval > 0) || interval > 86400) {
        std::cerr << "autoarr serve: --health-interval must be a number of seconds above 0 and at most 86400\n";
        return 2;
    }

    // Signals are handled by this thread alone (sigwait below): block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // A file-size limit (RLIMIT_FSIZE) then fails the write with EFBIG, which
    // the store reports (not ready), instead of killing the service.
    signal(SIGXFSZ, SIG_IGN);

    auto host = build_host(host_options(a));
    for (const auto& e : host->errors) std::cerr << "autoarr serve: " << e << "\n";
    if (!host->errors.empty()) return 2;

    std::unique_ptr<store::Store> db;
    audit::RuleSet rules;
    try {
        db = open_store(a.value("--db").value_or(config::db_path(env).string()), a.has("--recover"));
        if (!db) return 2;
        rules = audit::load_rules(default_rules_path());
    } catch (const std::exception& e) {
        std::cerr << "autoarr serve: " << e.what() << "\n";
        return 2;
    }

    // The web UI: a directory named by --web-dir or AUTOARR_WEB_DIR must be
    // usable; the one beside the binary is optional (a build without Node).
    std::optional<server::StaticSite> web;
    std::string web_missing;
    {
        auto named = a.value("--web-dir");
        if (!named) named = config::web_dir(env);
        const auto dir = named ? std::filesystem::path(*named) : util::default_web_dir();
        try {
            web = server::StaticSite::load(dir);
            log::info("server", "web UI: " + std::to_string(web->file_count()) + " files from " + dir.string());
        } catch (const std::exception& e) {
            if (named) {
                std::cerr << "autoarr serve: " << e.what() << "\n";
                return 2;
            }
            web_missing = std::string("the web UI is not installed: ") + e.what();
            log::warn("server", web_missing);
        }
    }

    if (int n = server::EnrichmentQueue::mark_interrupted(*db))
        log::info("server", std::to_string(n) + " enrichment(s) cut short by the last stop are marked partial");
    auto usage = std::make_unique<store::UsageWriter>(*db);
    auto enrichment = std::make_unique<server::EnrichmentQueue>(*host->router, *db, rules);
    server::ApiContext ctx;
    ctx.router = host->router.get();
    ctx.store = db.get();
    ctx.usage = usage.get();
    ctx.rules = &rules;
    ctx.enrichment = enrichment.get();
    ctx.explanation_cache_days = host->config.explanation_cache_days;
    ctx.stream_enrich_deadline =
        std::max(std::chrono::milliseconds(1000), so.response_timeout - std::chrono::seconds(10));
    try {
        if (auto n = db->purge_explanations(ctx.explanation_cache_days))
            log::info("server", std::to_string(n) + " expired cached explanation(s) removed");
    } catch (const std::exception& e) {
        log::warn("server", std::string("cannot purge the explanation cache: ") + e.what());
    }
    ctx.apps = host->config.apps;
    ctx.sample_stack = a.value("--sample-stack").value_or("");
    ctx.api_token = token;
    ctx.plugins = plugin::plugin_records_array(host->registry.records());
    if (web) ctx.web = &*web;
    ctx.web_missing = web_missing;
    ctx.version = AUTOARR_VERSION_STRING;

    // Every provider state change becomes a row in provider_health.
    host->router->set_state_listener(
        [store = db.get()](const std::string& id, routing::ProviderState state, const std::string& reason) {
            try {
                store->record_health(id, std::string(routing::state_name(state)), reason);
            } catch (const std::exception& e) {
                log::warn("server", std::string("cannot record a health transition: ") + e.what());
            }
        });

    std::unique_ptr<routing::HealthMonitor> monitor;
    std::unique_ptr<server::HttpServer> http;
    try {
        http = std::make_unique<server::HttpServer>(so, server::make_api(ctx), server::route_may_block);
    } catch (const std::exception& e) {
        std::cerr << "autoarr serve: " << e.what() << "\n";
        return 2;
    }
    monitor = std::make_unique<routing::HealthMonitor>(
        *host->router, std::chrono::milliseconds(static_cast<int64_t>(interval * 1000)));
    http->start();
    ctx.ready = true;
    const std::string url = "http://" +
                            (so.address.find(':') != std::string::npos ? "[" + so.address + "]" : so.address) + ":" +
                            std::to_string(http->port());
    std::cout << "AutoArr " << AUTOARR_VERSION_STRING << " listening on " << url
              << (web ? "  (the web UI at " + url + "/)" : std::string("  (GET /health, POST /api/v1/audits)"))
              << std::endl;

    if (auto sample = a.value("--sample-stack"); sample && a.has("--audit-on-start")) {
        try {
            auto stack = connectors::read_stack_dir(*sample);
            audit::AuditOptions start_opts;
            start_opts.explain.cache = db.get();
            start_opts.explain.cache_ttl_days = host->config.explanation_cache_days;
            auto report = audit::run_audit(stack, rules, host->router.get(), start_opts);
            std::vector<std::pair<std::string, std::string>> findings;
            for (const auto& f : report.findings) findings.emplace_back(f.rule.id, f.rule.severity);
            db->save_audit({report.audit_id, report.created_at, report.mode, report.provider.value_or(""), report.score,
                            0, audit::report_json(report), report.enrichment.state,
                            boost::json::serialize(report.redacted_documents)},
                           findings);
            std::cout << "\nAudit of the sample stack " << *sample << " (stored as " << report.audit_id << "):\n\n"
                      << audit::report_text(report, false) << "\nThe report is at " << url << "/api/v1/audits/"
                      << report.audit_id << "\nAutoArr keeps serving; stop it with Ctrl-C.\n"
                      << std::flush;
        } catch (const std::exception& e) {
            std::cerr << "autoarr serve: the start-up audit failed: " << e.what() << "\n";
        }
    }

    int sig = 0;
    sigwait(&signals, &sig);
    log::info("server", std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
    http->stop(std::chrono::seconds(10));  // stop accepting, drain in-flight requests
    monitor.reset();
    http.reset();
    enrichment.reset();  // cancels the enrichment in progress; it is stored as partial
    usage.reset();       // commits the usage rows still queued
    host.reset();        // destroys instances, shuts plugins down
    db.reset();          // closes the store
    log::info("server", "stopped");
    return 0;
}

}  // namespace autoarr::app
