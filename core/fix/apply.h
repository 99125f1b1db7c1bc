// Applies a plan and undoes a change set (docs/fixes.md). Right before each
// write the field's live value is read again; a value that changed since
// the audit is refused (optimistic concurrency) unless forced. The change
// set is stored before anything is written and every field's state is
// stored as it moves (planned, writing, written), so a kill -9 leaves a
// record that rollback can still act on. After each write the value is read
// back. A failed write stops the run.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fix/app_writer.h"
#include "fix/plan.h"
#include "store/store.h"

namespace autoarr::fix {

// The writer for each application, made when first needed. A factory that
// throws WriteError (the app is not configured) fails that app's fields.
class Writers {
public:
    using Factory = std::function<std::unique_ptr<AppWriter>(const std::string& app)>;
    explicit Writers(Factory factory) : factory_(std::move(factory)) {}
    AppWriter& get(const std::string& app);

private:
    Factory factory_;
    std::map<std::string, std::unique_ptr<AppWriter>> made_;
};

struct FieldOutcome {
    Change change;
    std::string state;  // written | failed | refused | rolled_back | skipped
    std::string error;  // why, for failed, refused and skipped
};

struct ApplyOptions {
    std::string audit_id;
    bool force = false;                // write even where the live value changed since the audit
    bool rollback_on_failure = false;  // a failure undoes what this run wrote
};

struct ApplyResult {
    std::string change_set_id;
    std::string state;  // applied | partial | failed | rolled_back (store.h)
    std::vector<FieldOutcome> fields;
    std::string stopped_by;              // the failure that stopped the run ("" when it ran to the end)
    std::vector<FieldOutcome> rollback;  // with rollback_on_failure, what undoing did
};

ApplyResult apply_plan(const Plan& plan, Writers& writers, store::Store& store, const ApplyOptions& options);

struct RollbackResult {
    std::string change_set_id;
    std::string state;  // the change set's state afterwards
    std::vector<FieldOutcome> fields;
};

// Writes each written (or being-written) field's before value back, last
// first, refusing a field whose live value is neither the after value nor
// already the before value, unless forced. Throws std::invalid_argument for
// an unknown change set, or one already rolled back.
RollbackResult rollback_change_set(const std::string& id, Writers& writers, store::Store& store, bool force);

// "cs_20261202T101500Z_1a2b3c4d"
std::string new_change_set_id();

// A stored field as the change it records, and back (state "planned").
Change change_of(const store::ChangeField& f);
store::ChangeField field_of(const Change& c, int64_t seq);

}  // namespace autoarr::fix
