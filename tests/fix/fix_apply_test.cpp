// Applying fixes to a live Sonarr and Radarr (support/arr_sim.h) with a real
// store: the change set, the fresh-value check, a failure midway, the
// verifying re-audit and rollback.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "audit/engine.h"
#include "connectors/live.h"
#include "fix/apply.h"
#include "fix/audit_source.h"
#include "fix/fix_report.h"
#include "fix/fix_run.h"
#include "support/arr_sim.h"
#include "support/temp_dir.h"

namespace autoarr::fix {
namespace {

namespace json = boost::json;
const std::string kKey = "0123456789abcdef0123456789abcdef";
const std::string kArr = std::string(AUTOARR_SOURCE_DIR) + "/tests/fixtures/arr/";

const audit::RuleSet& rules() {
    static audit::RuleSet set = audit::load_rules(audit::installed_rules_path());
    return set;
}

class FixApply : public ::testing::Test {
protected:
    test::ArrSim sonarr{"sonarr", kArr + "sonarr/misconfigured", kKey};
    test::ArrSim radarr{"radarr", kArr + "radarr/misconfigured", kKey};
    test::TempDir dir;
    store::Store store{(dir.path() / "autoarr.db").string()};
    std::map<std::string, config::AppConfig> apps{{"sonarr", {sonarr.url(), kKey}}, {"radarr", {radarr.url(), kKey}}};

    connectors::Stack live() { return connectors::fetch_stack(apps); }
    FixRun fix(FixRequest req) {
        auto stack = live();
        auto findings = audit::evaluate_rules(rules(), stack.documents, "2026-11-25");
        Writers w = writers_for(apps, std::chrono::seconds(5));
        req.today = "2026-11-25";
        return run_fix(rules(), "aud_test", findings, stack.documents, req, w, &store, [this] { return live(); });
    }
    FixRequest apply(std::vector<std::string> ids = {}) {
        FixRequest r;
        r.dry_run = false;
        r.selection.rule_ids = std::move(ids);
        return r;
    }
};

TEST_F(FixApply, ADryRunWritesNothingAndShowsTheDiff) {
    FixRun run = fix({});
    EXPECT_TRUE(run.dry_run);
    EXPECT_FALSE(run.applied);
    EXPECT_GT(run.plan.changes.size(), 20u);
    EXPECT_EQ(sonarr.puts() + radarr.puts(), 0u);
    EXPECT_TRUE(store.change_sets(10).empty());
    json::object j = fix_json(run);
    ASSERT_TRUE(j.at("apps").is_array());
    EXPECT_EQ(j.at("apps").at(0).at("app"), "sonarr");
    const std::string text = fix_text(run);
    EXPECT_NE(text.find("config/mediamanagement.copyUsingHardlinks: false -> true"), std::string::npos) << text;
    EXPECT_NE(text.find("Dry run: nothing was written"), std::string::npos);
    EXPECT_NE(fix_markdown(run).find("| SON-STO-01 | `config/mediamanagement.copyUsingHardlinks` | `false` | `true` |"),
              std::string::npos);
}

TEST_F(FixApply, AppliedFixesAreWrittenReadBackRecordedAndGoneOnReaudit) {
    const json::value host_before = sonarr.resource("config/host");
    const json::object original_docs = live().documents;
    FixRun run = fix(apply({"SON-STO-01", "SON-REL-10", "RAD-Q-02", "SON-SEC-04"}));
    ASSERT_TRUE(run.applied);
    EXPECT_EQ(run.applied->state, "applied") << run.applied->stopped_by;
    EXPECT_EQ(sonarr.resource("config/mediamanagement").at("copyUsingHardlinks"), json::value(true));
    EXPECT_EQ(radarr.resource("config/mediamanagement").at("downloadPropersAndRepacks"), json::value("doNotPrefer"));
    EXPECT_EQ(sonarr.resource("config/host").at("backupRetention"), json::value(28));
    ASSERT_TRUE(run.verification.ran) << run.verification.error;
    std::set<std::string> fixed(run.verification.fixed.begin(), run.verification.fixed.end());
    EXPECT_EQ(fixed, (std::set<std::string>{"SON-STO-01", "SON-REL-10", "RAD-Q-02", "SON-SEC-04"}));
    EXPECT_TRUE(run.verification.left.empty());
    EXPECT_EQ(run.verification.restart_required, std::vector<std::string>{"sonarr"});  // authentication
    EXPECT_EQ(run.verification.findings_after + 4, audit::evaluate_rules(rules(), original_docs, "2026-11-25").size());

    auto set = store.change_set(run.applied->change_set_id);
    ASSERT_TRUE(set);
    EXPECT_EQ(set->audit_id, "aud_test");
    ASSERT_EQ(set->fields.size(), 4u);
    for (const auto& f : set->fields) EXPECT_EQ(f.state, "written") << f.field;
    // The host config's secrets are never in a change set.
    for (const auto& f : set->fields) EXPECT_EQ(f.before_json.find("testkey"), std::string::npos);

    // Rollback restores every field byte for byte, and the findings come back.
    Writers w = writers_for(apps, std::chrono::seconds(5));
    RollbackRun back = run_rollback(rules(), set->id, false, w, store, [this] { return live(); });
    EXPECT_EQ(back.result.state, "rolled_back");
    EXPECT_EQ(sonarr.resource("config/host"), host_before);
    EXPECT_EQ(sonarr.resource("config/mediamanagement"),
              test::ArrSim("sonarr", kArr + "sonarr/misconfigured", kKey).resource("config/mediamanagement"));
    std::set<std::string> left(back.verification.left.begin(), back.verification.left.end());
    EXPECT_EQ(left, fixed);
    EXPECT_EQ(store.change_set(set->id)->state, "rolled_back");
    EXPECT_THROW(rollback_change_set(set->id, w, store, false), std::invalid_argument);  // once only
}

TEST_F(FixApply, AValueChangedSinceTheAuditIsRefusedUnlessForced) {
    auto stack = live();
    auto findings = audit::evaluate_rules(rules(), stack.documents, "2026-11-25");
    sonarr.set("config/mediamanagement", "copyUsingHardlinks", json::value(nullptr));  // changed behind our back
    Writers w = writers_for(apps, std::chrono::seconds(5));
    FixRequest req = apply({"SON-STO-01", "SON-REL-10"});
    FixRun run = run_fix(rules(), "aud_test", findings, stack.documents, req, w, &store, [this] { return live(); });
    ASSERT_TRUE(run.applied);
    EXPECT_EQ(run.applied->state, "partial");
    bool refused = false;
    for (const auto& f : run.applied->fields)
        if (f.change.field == "copyUsingHardlinks") {
            refused = f.state == "refused";
            EXPECT_NE(f.error.find("changed since the audit: it was false, it is null now"), std::string::npos)
                << f.error;
        }
    EXPECT_TRUE(refused);
    EXPECT_EQ(sonarr.resource("config/mediamanagement").at("copyUsingHardlinks"), json::value(nullptr));
    EXPECT_EQ(sonarr.resource("config/host").at("backupRetention"), json::value(28));  // the other fix went on
    EXPECT_EQ(run.verification.failed, std::vector<std::string>{"SON-STO-01"});

    req.force = true;
    req.selection.rule_ids = {"SON-STO-01"};
    Writers w2 = writers_for(apps, std::chrono::seconds(5));
    FixRun forced = run_fix(rules(), "aud_test", findings, stack.documents, req, w2, &store, [this] { return live(); });
    EXPECT_EQ(forced.applied->state, "applied");
    EXPECT_EQ(sonarr.resource("config/mediamanagement").at("copyUsingHardlinks"), json::value(true));
    // The change set keeps what was really overwritten, so rollback restores that.
    auto set = store.change_set(forced.applied->change_set_id);
    EXPECT_EQ(set->fields.at(0).before_json, "null");
}

TEST_F(FixApply, AFailureMidwayStopsTheRunAndCanBeUndoneAtOnce) {
    sonarr.set_client_test([](const json::object&) { return std::string("Unable to connect to SABnzbd"); });
    FixRequest req = apply({"SON-SEC-06", "SON-REL-04", "SON-REL-10"});
    FixRun run = fix(req);
    ASSERT_TRUE(run.applied);
    EXPECT_NE(run.applied->stopped_by.find("Unable to connect to SABnzbd"), std::string::npos)
        << run.applied->stopped_by;
    EXPECT_EQ(run.applied->state, "partial");
    std::map<std::string, std::string> states;
    for (const auto& f : run.applied->fields) states[f.change.rule_id] = f.state;
    // By severity: the high SON-SEC-06, the medium SON-REL-04 (refused), the low SON-REL-10 not tried.
    EXPECT_EQ(states["SON-SEC-06"], "written");
    EXPECT_EQ(states["SON-REL-04"], "failed");
    EXPECT_EQ(states["SON-REL-10"], "skipped");
    EXPECT_EQ(sonarr.resource("config/host").at("certificateValidation"), json::value("enabled"));
    EXPECT_EQ(sonarr.resource("config/host").at("backupRetention"), json::value(7));

    // The same with --rollback-on-failure leaves the stack as it was.
    test::ArrSim fresh("sonarr", kArr + "sonarr/misconfigured", kKey);
    fresh.set_client_test([](const json::object&) { return std::string("Unable to connect to SABnzbd"); });
    apps["sonarr"].url = fresh.url();
    const json::value host = fresh.resource("config/host");
    req.rollback_on_failure = true;
    FixRun undone = fix(req);
    EXPECT_EQ(undone.applied->state, "rolled_back");
    EXPECT_FALSE(undone.applied->rollback.empty());
    EXPECT_EQ(fresh.resource("config/host"), host);
}

TEST_F(FixApply, RollbackRefusesAFieldChangedSinceTheFix) {
    FixRun run = fix(apply({"SON-STO-01"}));
    ASSERT_EQ(run.applied->state, "applied");
    sonarr.set("config/mediamanagement", "copyUsingHardlinks", json::value("someone else"));
    Writers w = writers_for(apps, std::chrono::seconds(5));
    RollbackResult r = rollback_change_set(run.applied->change_set_id, w, store, false);
    ASSERT_EQ(r.fields.size(), 1u);
    EXPECT_EQ(r.fields[0].state, "refused");
    EXPECT_NE(r.state, "rolled_back");
    EXPECT_EQ(sonarr.resource("config/mediamanagement").at("copyUsingHardlinks"), json::value("someone else"));
    RollbackResult forced = rollback_change_set(run.applied->change_set_id, w, store, true);
    EXPECT_EQ(forced.state, "rolled_back");
    EXPECT_EQ(sonarr.resource("config/mediamanagement").at("copyUsingHardlinks"), json::value(false));
}

TEST_F(FixApply, AStoredAuditPlansFromItsOwnDocuments) {
    EXPECT_THROW(stored_audit(store, "aud_missing", rules()), std::invalid_argument);
    auto stack = live();
    store.save_audit({"aud_old", "2026-11-25T10:00:00Z", "rules-only", "", 50, 0, R"({"findings": []})", "skipped", ""},
                     {});
    try {
        stored_audit(store, "aud_old", rules());
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("has no stored documents"), std::string::npos);
    }
    store.save_audit({"aud_new", "2026-11-25T10:00:00Z", "rules-only", "", 50, 0,
                      R"({"findings": [{"rule_id": "SON-STO-01"}, {"rule_id": "RAD-Q-02"}]})", "skipped",
                      json::serialize(stack.documents)},
                     {});
    AuditedStack a = stored_audit(store, "aud_new", rules());
    ASSERT_EQ(a.findings.size(), 2u);  // what the audit reported, not everything that fires
    EXPECT_EQ(a.today, "2026-11-25");
}

}  // namespace
}  // namespace autoarr::fix
