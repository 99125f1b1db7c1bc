// AutoArr's persistent store (SQLite, WAL): audits with their findings,
// provider health transitions, and request usage. Every write is one
// transaction. WAL mode: every commit survives kill -9; audits are also
// fsynced (synchronous=FULL) so they survive power loss. No secret is ever
// stored (audits are stored redacted).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/integrity.h"
#include "store/sqlite.h"

namespace autoarr::store {

struct AuditRow {
    std::string id;
    std::string created_at;
    std::string mode;
    std::string provider;  // "" when none
    int64_t score = 0;
    int64_t findings = 0;
    std::string report_json;       // the full report, as returned to the client
    std::string enrichment_state;  // running | complete | partial | failed | skipped ("" before schema 2)
    // The audited documents, redacted (schema 3): what `fix --audit ID` plans
    // from. save_audit stores them when not empty; audit() does not read them.
    std::string documents_json;
    // The stored findings by severity (filled by audits(), for the history plot).
    int64_t critical = 0, high = 0, medium = 0, low = 0;
};

// One model explanation, keyed by what the model was asked (docs/audit.md, "The cache").
struct ExplanationKey {
    std::string rule_id, fingerprint, provider, model;
    int prompt_version = 0;
};
struct CachedExplanation {
    std::string explanation, impact;
};

struct UsageRow {
    std::string at;  // when the request finished (UTC, ISO 8601 with ms); "" = now
    std::string provider, model, outcome;
    int64_t prompt_tokens = 0, completion_tokens = 0, latency_ms = 0;
};

// One field of a change set (docs/fixes.md, "Change sets"). Values are JSON
// text; no secret field is ever planned, so none is ever stored.
struct ChangeField {
    int64_t seq = 0;  // write order within the set, from 1
    std::string rule_id, app, resource, item, label, field, resource_id;
    std::string before_json, after_json;
    bool restart = false;
    // planned | writing (a write was started: a kill -9 may leave it so) |
    // written | failed | refused (changed since the audit) | rolled_back
    std::string state = "planned";
    std::string error;
};

struct ChangeSetRow {
    std::string id;
    std::string created_at;
    std::string audit_id;
    // applying | applied | partial (stopped by a failure, or some refused) |
    // failed (nothing written) | rolled_back
    std::string state;
    std::string rolled_back_at;  // "" unless rolled back
    std::vector<ChangeField> fields;
};

class Store {
public:
    static constexpr int kSchemaVersion = 3;

    // Opens (creating and migrating as needed). Throws SqliteError naming the
    // path when its directory is not writable or it cannot be opened, and
    // DamagedDatabase when PRAGMA quick_check finds damage.
    explicit Store(const std::string& path);

    // "" when the store can write and is not known to be damaged, else why
    // not (docs/operations.md); probes the file at most once a second.
    std::string readiness();

    // Copies what can be read of the damaged database at path into a new one
    // at path; the damaged file is kept beside it (store/integrity.h).
    static RecoveryReport recover(const std::string& path);

    int schema_version();
    void save_audit(const AuditRow& audit,
                    const std::vector<std::pair<std::string, std::string>>& findings /* rule_id, severity */);
    std::optional<AuditRow> audit(const std::string& id);
    // Rewrites a stored audit as its enrichment progresses (one transaction,
    // fsynced like save_audit). `enrichment_state` is running | complete |
    // partial | failed | skipped. False when there is no such audit.
    bool update_audit(const std::string& id, const std::string& mode, const std::string& provider,
                      const std::string& enrichment_state, const std::string& report_json);
    // Audits whose enrichment was still running (the process stopped): their
    // ids. The caller marks each partial; nothing already explained is lost,
    // as every explained batch was stored as it arrived.
    std::vector<std::string> audits_with_enrichment(const std::string& state);

    // The explanation cache. Entries older than max_age_days are not returned.
    std::optional<CachedExplanation> cached_explanation(const ExplanationKey& key, int max_age_days);
    void put_explanations(const std::vector<std::pair<ExplanationKey, CachedExplanation>>& rows);
    int64_t clear_explanations();                                 // returns how many were removed
    int64_t purge_explanations(int max_age_days);                 // removes expired entries; returns how many
    std::vector<AuditRow> audits(int64_t limit, int64_t offset);  // newest first, without report_json, with counts
    int64_t audit_count();
    void record_health(const std::string& provider, const std::string& state, const std::string& reason);
    std::vector<std::pair<std::string, std::string>> health_transitions(
        const std::string& provider);  // (state, reason)
    // All rows in one transaction: all are stored, or none (throws SqliteError).
    void record_usage_batch(const std::vector<UsageRow>& rows);
    int64_t usage_count();

    // An audit's documents as save_audit stored them (AuditRow::documents_json).
    std::optional<std::string> audit_documents(const std::string& audit_id);

    // Change sets (store/change_sets.cpp). Each write is fsynced: after a
    // kill -9 the set shows which fields were being written and which were.
    void create_change_set(const ChangeSetRow& set);  // with its fields, all planned
    // Sets one field's state (and error); `before_json`, when not empty,
    // replaces the recorded before value (what was really overwritten).
    void update_change_field(const std::string& set_id, int64_t seq, const std::string& state, const std::string& error,
                             const std::string& before_json = {});
    void set_change_set_state(const std::string& set_id, const std::string& state);
    std::optional<ChangeSetRow> change_set(const std::string& id);
    std::vector<ChangeSetRow> change_sets(int64_t limit);  // newest first, with their fields

    // The default path: $AUTOARR_DB, else $XDG_DATA_HOME/autoarr/autoarr.db, else ~/.local/share/autoarr/autoarr.db.

private:
    void migrate();
    std::mutex mutex_;  // one writer at a time in this process; SQLite's busy timeout covers others
    Database db_;
    StoreReadiness readiness_;  // guarded by mutex_
};

}  // namespace autoarr::store
