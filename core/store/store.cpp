#include "store/store.h"

#include <cstdlib>
#include <filesystem>

#include "store/full_sync.h"
#include "util/log.h"
#include "util/secret_scrubber.h"

namespace autoarr::store {

namespace {

// Migration n brings the schema from version n-1 to n. Append only.
const char* const kMigrations[] = {
    nullptr,
    R"(CREATE TABLE audits (
         id TEXT PRIMARY KEY, created_at TEXT NOT NULL, mode TEXT NOT NULL, provider TEXT,
         score INTEGER NOT NULL, findings INTEGER NOT NULL, report_json TEXT NOT NULL);
       CREATE INDEX audits_created ON audits(created_at);
       CREATE TABLE findings (
         audit_id TEXT NOT NULL REFERENCES audits(id) ON DELETE CASCADE, rule_id TEXT NOT NULL,
         severity TEXT NOT NULL);
       CREATE INDEX findings_audit ON findings(audit_id);
       CREATE TABLE provider_health (
         at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), provider TEXT NOT NULL,
         state TEXT NOT NULL, reason TEXT);
       CREATE TABLE request_usage (
         at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), provider TEXT NOT NULL,
         model TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms INTEGER, outcome TEXT NOT NULL);)",
    // 2: progressive enrichment and the explanation cache (a rowid table, so
    // that --recover can copy it row by row like the others).
    R"(ALTER TABLE audits ADD COLUMN enrichment_state TEXT;
       CREATE INDEX audits_enrichment ON audits(enrichment_state);
       CREATE TABLE explanations (
         rule_id TEXT NOT NULL, fingerprint TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
         prompt_version INTEGER NOT NULL, explanation TEXT NOT NULL, impact TEXT NOT NULL,
         created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
         UNIQUE (rule_id, fingerprint, provider, model, prompt_version));)",
    // 3: fixes. The audited documents (redacted), and change sets with the
    // before and after value of every field written.
    R"(CREATE TABLE audit_documents (
         audit_id TEXT NOT NULL UNIQUE, documents_json TEXT NOT NULL);
       CREATE TABLE change_sets (
         id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, audit_id TEXT NOT NULL, state TEXT NOT NULL,
         rolled_back_at TEXT NOT NULL DEFAULT '');
       CREATE TABLE change_fields (
         change_set TEXT NOT NULL, seq INTEGER NOT NULL, rule_id TEXT NOT NULL, app TEXT NOT NULL,
         resource TEXT NOT NULL, item TEXT NOT NULL, label TEXT NOT NULL, field TEXT NOT NULL,
         resource_id TEXT NOT NULL, before_json TEXT NOT NULL, after_json TEXT NOT NULL, restart INTEGER NOT NULL,
         state TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', UNIQUE (change_set, seq));)",
};

// The path, once its directory is known to accept the -wal and -shm files.
const std::string& writable_directory(const std::string& path) {
    if (auto why = check_directory_writable(path); !why.empty()) throw SqliteError(why, SQLITE_CANTOPEN);
    return path;
}

}  // namespace

Store::Store(const std::string& path) : db_(writable_directory(path)), readiness_(path) {
    try {
        db_.exec("PRAGMA journal_mode=WAL");
        // WAL + NORMAL survives any process crash (kill -9): committed pages are in
        // the WAL in the OS cache. Audits additionally fsync (FULL) so they also
        // survive power loss; usage rows need not pay an fsync per request.
        db_.exec("PRAGMA synchronous=NORMAL");
        db_.exec("PRAGMA foreign_keys=ON");
        // A damaged page would otherwise start "ready", take an audit, and fail the next list.
        if (auto findings = quick_check(db_); !findings.empty())
            throw DamagedDatabase("the database " + path + " is damaged: PRAGMA quick_check: " + findings,
                                  SQLITE_CORRUPT);
        migrate();
    } catch (const DamagedDatabase&) {
        throw;
    } catch (const SqliteError& e) {
        const int primary = e.code() & 0xff;
        if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
            throw DamagedDatabase("the database " + path + " is damaged: " + e.what(), e.code());
        throw SqliteError("the database " + path + ": " + e.what(), e.code());
    }
    readiness();  // a read-only file is logged now, not at the first audit
}

std::string Store::readiness() {
    std::lock_guard lock(mutex_);
    return readiness_.check(db_);
}

RecoveryReport Store::recover(const std::string& path) {
    return recover_database(path, [](const std::string& fresh) { Store schema(fresh); });
}

int Store::schema_version() {
    auto s = db_.prepare("PRAGMA user_version");
    s.step();
    return static_cast<int>(s.integer(0));
}

void Store::migrate() {
    std::lock_guard lock(mutex_);
    int v = schema_version();
    if (v > kSchemaVersion)
        throw SqliteError("the database was written by a newer AutoArr (schema " + std::to_string(v) +
                          ", this build knows " + std::to_string(kSchemaVersion) + ")");
    for (int next = v + 1; next <= kSchemaVersion; ++next) {
        Transaction t(db_);
        db_.exec(kMigrations[next]);
        db_.exec("PRAGMA user_version=" + std::to_string(next));
        t.commit();
    }
}

void Store::save_audit(const AuditRow& a, const std::vector<std::pair<std::string, std::string>>& findings) {
    std::lock_guard lock(mutex_);
    FullSync full_sync(db_);  // audits survive power loss
    Transaction t(db_);
    db_.prepare(
           "INSERT INTO audits(id, created_at, mode, provider, score, findings, report_json, enrichment_state) "
           "VALUES(?,?,?,?,?,?,?,?)")
        .bind(1, a.id)
        .bind(2, a.created_at)
        .bind(3, a.mode)
        .bind(4, a.provider)
        .bind(5, a.score)
        .bind(6, static_cast<int64_t>(findings.size()))
        .bind(7, a.report_json)
        .bind(8, a.enrichment_state)
        .run();
    for (const auto& [rule, severity] : findings)
        db_.prepare("INSERT INTO findings(audit_id, rule_id, severity) VALUES(?,?,?)")
            .bind(1, a.id)
            .bind(2, rule)
            .bind(3, severity)
            .run();
    if (!a.documents_json.empty())
        db_.prepare("INSERT INTO audit_documents(audit_id, documents_json) VALUES(?,?)")
            .bind(1, a.id)
            .bind(2, a.documents_json)
            .run();
    t.commit();
}

bool Store::update_audit(const std::string& id, const std::string& mode, const std::string& provider,
                         const std::string& enrichment_state, const std::string& report_json) {
    std::lock_guard lock(mutex_);
    FullSync full_sync(db_);  // audits survive power loss
    Transaction t(db_);
    db_.prepare("UPDATE audits SET mode=?, provider=?, enrichment_state=?, report_json=? WHERE id=?")
        .bind(1, mode)
        .bind(2, provider)
        .bind(3, enrichment_state)
        .bind(4, report_json)
        .bind(5, id)
        .run();
    const bool found = db_.changes() > 0;
    t.commit();
    return found;
}

std::vector<std::string> Store::audits_with_enrichment(const std::string& state) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT id FROM audits WHERE enrichment_state=? ORDER BY rowid");
    s.bind(1, state);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
}

std::optional<CachedExplanation> Store::cached_explanation(const ExplanationKey& k, int max_age_days) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(
        "SELECT explanation, impact FROM explanations WHERE rule_id=? AND fingerprint=? AND provider=? AND model=? "
        "AND prompt_version=? AND created_at >= strftime('%Y-%m-%dT%H:%M:%fZ','now', ?)");
    s.bind(1, k.rule_id)
        .bind(2, k.fingerprint)
        .bind(3, k.provider)
        .bind(4, k.model)
        .bind(5, static_cast<int64_t>(k.prompt_version))
        .bind(6, "-" + std::to_string(max_age_days) + " days");
    if (!s.step()) return std::nullopt;
    return CachedExplanation{s.text(0), s.text(1)};
}

void Store::put_explanations(const std::vector<std::pair<ExplanationKey, CachedExplanation>>& rows) {
    if (rows.empty()) return;
    std::lock_guard lock(mutex_);
    Transaction t(db_);
    auto s = db_.prepare(
        "INSERT OR REPLACE INTO explanations(rule_id, fingerprint, provider, model, prompt_version, explanation, "
        "impact) VALUES(?,?,?,?,?,?,?)");
    for (const auto& [k, e] : rows) {
        s.reset();
        s.bind(1, k.rule_id)
            .bind(2, k.fingerprint)
            .bind(3, k.provider)
            .bind(4, k.model)
            .bind(5, static_cast<int64_t>(k.prompt_version))
            .bind(6, e.explanation)
            .bind(7, e.impact)
            .run();
    }
    t.commit();
}

int64_t Store::clear_explanations() {
    std::lock_guard lock(mutex_);
    db_.exec("DELETE FROM explanations");
    return db_.changes();
}

int64_t Store::purge_explanations(int max_age_days) {
    std::lock_guard lock(mutex_);
    db_.prepare("DELETE FROM explanations WHERE created_at < strftime('%Y-%m-%dT%H:%M:%fZ','now', ?)")
        .bind(1, "-" + std::to_string(max_age_days) + " days")
        .run();
    return db_.changes();
}

std::optional<AuditRow> Store::audit(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(
        "SELECT id, created_at, mode, provider, score, findings, report_json, coalesce(enrichment_state, '') FROM "
        "audits WHERE id=?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return AuditRow{s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.integer(5), s.text(6), s.text(7), ""};
}

std::vector<AuditRow> Store::audits(int64_t limit, int64_t offset) {
    std::lock_guard lock(mutex_);
    // The page of audits first, then its findings counted per severity (findings_audit index).
    auto s = db_.prepare(
        "SELECT a.id, a.created_at, a.mode, a.provider, a.score, a.findings, coalesce(a.enrichment_state, ''), "
        "(SELECT count(*) FROM findings f WHERE f.audit_id = a.id AND f.severity = 'critical'), "
        "(SELECT count(*) FROM findings f WHERE f.audit_id = a.id AND f.severity = 'high'), "
        "(SELECT count(*) FROM findings f WHERE f.audit_id = a.id AND f.severity = 'medium'), "
        "(SELECT count(*) FROM findings f WHERE f.audit_id = a.id AND f.severity = 'low') "
        "FROM (SELECT rowid AS r, id, created_at, mode, provider, score, findings, enrichment_state FROM audits "
        "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?) a "
        "ORDER BY a.created_at DESC, a.r DESC");
    s.bind(1, limit).bind(2, offset);
    std::vector<AuditRow> out;
    while (s.step()) {
        AuditRow row{s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.integer(5), "", s.text(6), ""};
        row.critical = s.integer(7);
        row.high = s.integer(8);
        row.medium = s.integer(9);
        row.low = s.integer(10);
        out.push_back(std::move(row));
    }
    return out;
}

int64_t Store::audit_count() {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT count(*) FROM audits");
    s.step();
    return s.integer(0);
}

void Store::record_health(const std::string& provider, const std::string& state, const std::string& reason) {
    std::lock_guard lock(mutex_);
    db_.prepare("INSERT INTO provider_health(provider, state, reason) VALUES(?,?,?)")
        .bind(1, provider)
        .bind(2, state)
        .bind(3, util::safe_error_text(reason))  // never a known secret, never unbounded
        .run();
}

std::vector<std::pair<std::string, std::string>> Store::health_transitions(const std::string& provider) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT state, reason FROM provider_health WHERE provider=? ORDER BY rowid");
    s.bind(1, provider);
    std::vector<std::pair<std::string, std::string>> out;
    while (s.step()) out.emplace_back(s.text(0), s.text(1));
    return out;
}

void Store::record_usage_batch(const std::vector<UsageRow>& rows) {
    if (rows.empty()) return;
    std::lock_guard lock(mutex_);
    Transaction t(db_);
    auto s = db_.prepare(
        "INSERT INTO request_usage(at, provider, model, prompt_tokens, completion_tokens, latency_ms, outcome) "
        "VALUES(coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ','now')),?,?,?,?,?,?)");
    for (const auto& u : rows) {
        s.reset();
        if (!u.at.empty()) s.bind(1, u.at);
        s.bind(2, u.provider)
            .bind(3, u.model)
            .bind(4, u.prompt_tokens)
            .bind(5, u.completion_tokens)
            .bind(6, u.latency_ms)
            .bind(7, u.outcome)
            .run();
    }
    t.commit();
}

int64_t Store::usage_count() {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT count(*) FROM request_usage");
    s.step();
    return s.integer(0);
}

}  // namespace autoarr::store
