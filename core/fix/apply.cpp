#include "fix/apply.h"

#include <random>
#include <stdexcept>

#include "util/log.h"
#include "util/utc_time.h"

namespace autoarr::fix {
namespace json = boost::json;

namespace {

std::string shown(const json::value& v) {
    return json::serialize(v);
}

json::value parsed(const std::string& text) {
    json::error_code ec;
    json::value v = json::parse(text, ec);
    return ec ? json::value(nullptr) : v;
}

// Writes `value`, then reads it back. "" when the app holds it now, else why not.
std::string write_and_check(AppWriter& w, const Change& c, const json::value& value) {
    w.write(c, value);
    json::value now = w.read(c);
    if (!same_value(now, value))
        return "read back " + shown(now) + " after writing " + shown(value) + " (the app did not keep it)";
    return {};
}

}  // namespace

AppWriter& Writers::get(const std::string& app) {
    auto it = made_.find(app);
    if (it == made_.end()) it = made_.emplace(app, factory_(app)).first;
    return *it->second;
}

std::string new_change_set_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[48];
    std::snprintf(buf, sizeof buf, "cs_%s_%08llx",
                  util::format_utc(std::chrono::system_clock::now(), "%Y%m%dT%H%M%SZ").c_str(),
                  static_cast<unsigned long long>(rng() & 0xffffffffULL));
    return buf;
}

Change change_of(const store::ChangeField& f) {
    Change c;
    c.rule_id = f.rule_id;
    c.app = f.app;
    c.resource = f.resource;
    c.item = f.item;
    c.label = f.label;
    c.field = f.field;
    c.resource_id = f.resource_id;
    c.before = parsed(f.before_json);
    c.after = parsed(f.after_json);
    c.restart = f.restart;
    return c;
}

store::ChangeField field_of(const Change& c, int64_t seq) {
    store::ChangeField f;
    f.seq = seq;
    f.rule_id = c.rule_id;
    f.app = c.app;
    f.resource = c.resource;
    f.item = c.item;
    f.label = c.label;
    f.field = c.field;
    f.resource_id = c.resource_id;
    f.before_json = shown(c.before);
    f.after_json = shown(c.after);
    f.restart = c.restart;
    return f;
}

ApplyResult apply_plan(const Plan& plan, Writers& writers, store::Store& store, const ApplyOptions& options) {
    ApplyResult result;
    result.change_set_id = new_change_set_id();
    store::ChangeSetRow row;
    row.id = result.change_set_id;
    row.created_at = util::format_utc(std::chrono::system_clock::now(), "%Y-%m-%dT%H:%M:%SZ");
    row.audit_id = options.audit_id;
    row.state = "applying";
    int64_t seq = 0;
    for (const auto& c : plan.changes) row.fields.push_back(field_of(c, ++seq));
    store.create_change_set(row);  // before anything is written

    std::size_t written = 0, refused = 0;
    seq = 0;
    for (const auto& c : plan.changes) {
        ++seq;
        FieldOutcome out{c, "", ""};
        if (!result.stopped_by.empty()) {
            out.state = "skipped";
            out.error = "not attempted: the run stopped at an earlier failure";
            store.update_change_field(row.id, seq, "planned", out.error);
            result.fields.push_back(std::move(out));
            continue;
        }
        try {
            AppWriter& w = writers.get(c.app);
            json::value live = w.read(c);  // the fresh value, right before writing
            if (!same_value(live, c.before) && !options.force) {
                out.state = "refused";
                out.error = setting_name(c) + " changed since the audit: it was " + shown(c.before) + ", it is " +
                            shown(live) + " now (--force writes anyway)";
                store.update_change_field(row.id, seq, "refused", out.error);
                ++refused;
                result.fields.push_back(std::move(out));
                continue;
            }
            out.change.before = live;  // what is really overwritten, for rollback
            store.update_change_field(row.id, seq, "writing", "", shown(live));
            if (auto why = write_and_check(w, c, c.after); !why.empty()) throw WriteError(setting_name(c) + ": " + why);
            store.update_change_field(row.id, seq, "written", "");
            out.state = "written";
            ++written;
            log::info("fix", c.app + " " + setting_name(c) + ": " + shown(live) + " -> " + shown(c.after));
        } catch (const std::exception& e) {
            out.state = "failed";
            out.error = e.what();
            store.update_change_field(row.id, seq, "failed", out.error);
            result.stopped_by = c.app + " " + setting_name(c) + ": " + out.error;
            log::warn("fix", "stopped: " + result.stopped_by);
        }
        result.fields.push_back(std::move(out));
    }
    result.state = !result.stopped_by.empty() || refused > 0 ? (written > 0 ? "partial" : "failed") : "applied";
    if (plan.changes.empty()) result.state = "applied";
    store.set_change_set_state(row.id, result.state);

    if (!result.stopped_by.empty() && options.rollback_on_failure && written > 0) {
        RollbackResult undo = rollback_change_set(row.id, writers, store, false);
        result.rollback = std::move(undo.fields);
        result.state = undo.state;
    }
    return result;
}

RollbackResult rollback_change_set(const std::string& id, Writers& writers, store::Store& store, bool force) {
    auto set = store.change_set(id);
    if (!set) throw std::invalid_argument("no change set " + id);
    if (set->state == "rolled_back") throw std::invalid_argument("change set " + id + " was already rolled back");
    RollbackResult result;
    result.change_set_id = id;
    std::size_t left = 0;
    for (auto it = set->fields.rbegin(); it != set->fields.rend(); ++it) {
        const store::ChangeField& f = *it;
        if (f.state != "written" && f.state != "writing") continue;  // nothing of it reached the app
        Change c = change_of(f);
        FieldOutcome out{c, "", ""};
        try {
            AppWriter& w = writers.get(c.app);
            json::value live = w.read(c);
            if (same_value(live, c.before)) {
                out.state = "rolled_back";
                out.error = "it already had its old value";
            } else if (!same_value(live, c.after) && !force) {
                out.state = "refused";
                out.error = setting_name(c) + " changed since the fix: it was set to " + shown(c.after) + ", it is " +
                            shown(live) + " now (--force restores anyway)";
            } else {
                if (auto why = write_and_check(w, c, c.before); !why.empty())
                    throw WriteError(setting_name(c) + ": " + why);
                out.state = "rolled_back";
                log::info("fix",
                          "rollback " + c.app + " " + setting_name(c) + ": " + shown(live) + " -> " + shown(c.before));
            }
        } catch (const std::exception& e) {
            out.state = "failed";
            out.error = e.what();
        }
        if (out.state == "rolled_back") {
            store.update_change_field(id, f.seq, "rolled_back", out.error);
        } else {
            store.update_change_field(id, f.seq, f.state, "rollback " + out.state + ": " + out.error);
            ++left;
        }
        result.fields.push_back(std::move(out));
    }
    result.state = left == 0 ? "rolled_back" : set->state;
    store.set_change_set_state(id, result.state);
    return result;
}

}  // namespace autoarr::fix
