// The change sets of `autoarr fix` and the audited documents they are
// planned from (store.h). Every write is fsynced (FullSync), since a change
// set is the only record of what AutoArr changed in someone's stack.
#include "store/full_sync.h"
#include "store/store.h"

namespace autoarr::store {

std::optional<std::string> Store::audit_documents(const std::string& audit_id) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT documents_json FROM audit_documents WHERE audit_id=?");
    s.bind(1, audit_id);
    if (!s.step()) return std::nullopt;
    return s.text(0);
}

void Store::create_change_set(const ChangeSetRow& set) {
    std::lock_guard lock(mutex_);
    FullSync full_sync(db_);
    Transaction t(db_);
    db_.prepare("INSERT INTO change_sets(id, created_at, audit_id, state) VALUES(?,?,?,?)")
        .bind(1, set.id)
        .bind(2, set.created_at)
        .bind(3, set.audit_id)
        .bind(4, set.state)
        .run();
    auto s = db_.prepare(
        "INSERT INTO change_fields(change_set, seq, rule_id, app, resource, item, label, field, resource_id, "
        "before_json, after_json, restart, state, error) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const auto& f : set.fields) {
        s.reset();
        s.bind(1, set.id)
            .bind(2, f.seq)
            .bind(3, f.rule_id)
            .bind(4, f.app)
            .bind(5, f.resource)
            .bind(6, f.item)
            .bind(7, f.label)
            .bind(8, f.field)
            .bind(9, f.resource_id)
            .bind(10, f.before_json)
            .bind(11, f.after_json)
            .bind(12, static_cast<int64_t>(f.restart))
            .bind(13, f.state)
            .bind(14, f.error)
            .run();
    }
    t.commit();
}

void Store::update_change_field(const std::string& set_id, int64_t seq, const std::string& state,
                                const std::string& error, const std::string& before_json) {
    std::lock_guard lock(mutex_);
    FullSync full_sync(db_);
    // An empty before_json keeps the recorded one.
    db_.prepare(
           "UPDATE change_fields SET state=?, error=?, before_json=COALESCE(NULLIF(?, ''), before_json) "
           "WHERE change_set=? AND seq=?")
        .bind(1, state)
        .bind(2, error)
        .bind(3, before_json)
        .bind(4, set_id)
        .bind(5, seq)
        .run();
}

void Store::set_change_set_state(const std::string& set_id, const std::string& state) {
    std::lock_guard lock(mutex_);
    FullSync full_sync(db_);
    db_.prepare(
           "UPDATE change_sets SET state=?, rolled_back_at=CASE WHEN ?='rolled_back' THEN "
           "strftime('%Y-%m-%dT%H:%M:%SZ','now') ELSE rolled_back_at END WHERE id=?")
        .bind(1, state)
        .bind(2, state)
        .bind(3, set_id)
        .run();
}

namespace {

std::vector<ChangeField> fields_of(Database& db, const std::string& set_id) {
    auto s = db.prepare(
        "SELECT seq, rule_id, app, resource, item, label, field, resource_id, before_json, after_json, restart, "
        "state, error FROM change_fields WHERE change_set=? ORDER BY seq");
    s.bind(1, set_id);
    std::vector<ChangeField> out;
    while (s.step()) {
        ChangeField f;
        f.seq = s.integer(0);
        f.rule_id = s.text(1);
        f.app = s.text(2);
        f.resource = s.text(3);
        f.item = s.text(4);
        f.label = s.text(5);
        f.field = s.text(6);
        f.resource_id = s.text(7);
        f.before_json = s.text(8);
        f.after_json = s.text(9);
        f.restart = s.integer(10) != 0;
        f.state = s.text(11);
        f.error = s.text(12);
        out.push_back(std::move(f));
    }
    return out;
}

ChangeSetRow set_row(Statement& s) {
    ChangeSetRow r;
    r.id = s.text(0);
    r.created_at = s.text(1);
    r.audit_id = s.text(2);
    r.state = s.text(3);
    r.rolled_back_at = s.text(4);
    return r;
}

}  // namespace

std::optional<ChangeSetRow> Store::change_set(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT id, created_at, audit_id, state, rolled_back_at FROM change_sets WHERE id=?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    ChangeSetRow r = set_row(s);
    r.fields = fields_of(db_, id);
    return r;
}

std::vector<ChangeSetRow> Store::change_sets(int64_t limit) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(
        "SELECT id, created_at, audit_id, state, rolled_back_at FROM change_sets ORDER BY rowid DESC LIMIT ?");
    s.bind(1, limit);
    std::vector<ChangeSetRow> out;
    while (s.step()) out.push_back(set_row(s));
    for (auto& r : out) r.fields = fields_of(db_, r.id);
    return out;
}

}  // namespace autoarr::store
