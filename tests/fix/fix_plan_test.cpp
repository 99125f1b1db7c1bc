// Fixes as data: the shipped rule file's fixes load and are checked, a plan
// on the misconfigured sample stack holds the expected changes in write
// order, and — the property that makes a fix a fix — applying a plan's
// changes to the documents makes every planned finding disappear.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "audit/engine.h"
#include "audit/rule_set.h"
#include "connectors/stack.h"
#include "fix/app_writer.h"
#include "fix/plan.h"

namespace autoarr::fix {
namespace {

namespace json = boost::json;
const std::string kSample = std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack";
const std::string kToday = "2026-11-25";

const audit::RuleSet& rules() {
    static audit::RuleSet set = audit::load_rules(audit::installed_rules_path());
    return set;
}

struct Audited {
    json::object docs;
    std::vector<audit::Finding> findings;
};
Audited sample() {
    Audited a;
    a.docs = connectors::read_stack_dir(kSample).documents;
    a.findings = audit::evaluate_rules(rules(), a.docs, kToday);
    return a;
}

const Change* find(const Plan& p, const std::string& rule, const std::string& field) {
    for (const auto& c : p.changes)
        if (c.rule_id == rule && c.field == field) return &c;
    return nullptr;
}

// Applies the changes to the documents, as the writers do to the apps.
void apply_to(json::object& docs, const std::vector<Change>& changes) {
    for (const auto& c : changes) {
        json::value& doc = docs.at(c.app).as_object().at(audit::document_of(c.app, c.resource));
        json::value* holder = c.app == "sabnzbd" ? &doc.as_object().at("config").as_object().at(c.resource) : &doc;
        if (!c.item.empty()) {
            json::value* found = nullptr;
            for (auto& it : holder->as_array()) {
                const auto& o = it.as_object();
                const json::value& k = o.at(c.app == "sabnzbd" ? "name" : "id");
                if ((k.is_string() && k.get_string() == c.item) ||
                    (k.is_number() && std::to_string(k.to_number<int64_t>()) == c.item))
                    found = &it;
            }
            ASSERT_NE(found, nullptr) << setting_name(c);
            holder = found;
        }
        ASSERT_TRUE(set_field(*holder, c.field, c.after)) << setting_name(c);
    }
}

TEST(FixPlan, TheShippedRulesCarryFixesForEveryRuleWithOneSafeValue) {
    std::size_t fixable = 0;
    for (const auto& r : rules().rules) fixable += !r.fixes.empty();
    EXPECT_GE(fixable, 60u);  // docs/fixes.md lists them
    for (const char* id : {"SAB-REL-01", "SON-STO-01", "RAD-STO-01", "X-NET-02", "X-CAT-04"}) {
        auto it =
            std::find_if(rules().rules.begin(), rules().rules.end(), [&](const auto& r) { return r.entry.id == id; });
        ASSERT_NE(it, rules().rules.end());
        EXPECT_FALSE(it->fixes.empty()) << id;
    }
    for (const char* id :
         {"SAB-STO-01", "SAB-PERF-01", "SON-SEC-01", "SON-QP-02", "X-RPM-01"}) {  // no single safe value
        auto it =
            std::find_if(rules().rules.begin(), rules().rules.end(), [&](const auto& r) { return r.entry.id == id; });
        ASSERT_NE(it, rules().rules.end());
        EXPECT_TRUE(it->fixes.empty()) << id;
    }
}

TEST(FixPlan, ThePlanOnTheSampleStackHoldsEachChangeWithItsBeforeAndAfter) {
    Audited a = sample();
    Plan p = plan_fixes(rules(), a.findings, a.docs, {}, kToday);
    const Change* sab = find(p, "SAB-REL-01", "safe_postproc");
    ASSERT_NE(sab, nullptr);
    EXPECT_EQ(sab->app, "sabnzbd");
    EXPECT_EQ(sab->resource, "misc");
    EXPECT_EQ(json::serialize(sab->after), "1");
    EXPECT_TRUE(same_value(sab->before, json::value(0))) << json::serialize(sab->before);
    EXPECT_EQ(describe_call(*sab, sab->after), "GET /api?mode=set_config&section=misc&keyword=safe_postproc&value=1");

    const Change* son = find(p, "SON-STO-01", "copyUsingHardlinks");
    ASSERT_NE(son, nullptr);
    EXPECT_EQ(son->app, "sonarr");
    EXPECT_EQ(son->before, json::value(false));
    EXPECT_EQ(son->after, json::value(true));
    EXPECT_EQ(describe_call(*son, son->after),
              "GET /api/v3/config/mediamanagement, then PUT /api/v3/config/mediamanagement/1 with the whole resource "
              "(copyUsingHardlinks changed)");
    const Change* rad = find(p, "RAD-Q-02", "downloadPropersAndRepacks");
    ASSERT_NE(rad, nullptr);
    EXPECT_EQ(rad->app, "radarr");
    EXPECT_EQ(rad->after, json::value("doNotPrefer"));

    // Items of a list are addressed by name (SABnzbd) or id (*arr).
    for (const auto& c : p.changes)
        if (c.resource == "downloadclient") {
            EXPECT_FALSE(c.item.empty());
            EXPECT_EQ(c.item, c.resource_id);
        }
    // Write order: SABnzbd first, then Sonarr, then Radarr.
    for (std::size_t i = 1; i < p.changes.size(); ++i)
        EXPECT_LE(app_order(p.changes[i - 1].app), app_order(p.changes[i].app)) << i;
    // No secret is ever planned.
    for (const auto& c : p.changes) EXPECT_FALSE(audit::is_secret_field(c.field)) << setting_name(c);
    // A rule without a single safe value is a manual fix, with the reason.
    bool manual = false;
    for (const auto& m : p.manual)
        if (m.rule_id == "SAB-PERF-01") manual = m.reason.find("manual fix") != std::string::npos;
    EXPECT_TRUE(manual);
}

TEST(FixPlan, ApplyingThePlanToTheDocumentsClearsEveryPlannedFinding) {
    Audited a = sample();
    Plan p = plan_fixes(rules(), a.findings, a.docs, {}, kToday);
    ASSERT_GE(p.changes.size(), 40u);
    std::set<std::string> planned;
    for (const auto& c : p.changes) planned.insert(c.rule_id);
    std::set<std::string> manual;
    for (const auto& m : p.manual) manual.insert(m.rule_id);
    json::object fixed = a.docs;
    apply_to(fixed, p.changes);
    std::set<std::string> still;
    for (const auto& f : audit::evaluate_rules(rules(), fixed, kToday)) still.insert(f.rule.id);
    for (const auto& id : planned)
        if (!manual.count(id)) {
            EXPECT_FALSE(still.count(id)) << id << " still fires after its fix";
        }
    // And nothing new fires: a fix never trades one finding for another.
    std::set<std::string> before;
    for (const auto& f : a.findings) before.insert(f.rule.id);
    for (const auto& id : still) EXPECT_TRUE(before.count(id)) << id << " fires only after the fixes";
}

TEST(FixPlan, SelectionBySeverityAndByRuleId) {
    Audited a = sample();
    Plan high = plan_fixes(rules(), a.findings, a.docs, {{}, "high"}, kToday);
    for (const auto& c : high.changes) EXPECT_LE(audit::severity_rank(c.severity), 1) << c.rule_id;
    Plan one = plan_fixes(rules(), a.findings, a.docs, {{"SAB-REL-01"}, ""}, kToday);
    ASSERT_EQ(one.changes.size(), 1u);
    EXPECT_EQ(one.changes[0].rule_id, "SAB-REL-01");
    EXPECT_THROW(plan_fixes(rules(), a.findings, a.docs, {{"SAB-NOPE-99"}, ""}, kToday), std::invalid_argument);
    EXPECT_THROW(plan_fixes(rules(), a.findings, a.docs, {{}, "urgent"}, kToday), std::invalid_argument);
}

TEST(FixPlan, AWellConfiguredStackNeedsNoFix) {
    const std::string dir = std::string(AUTOARR_SOURCE_DIR) + "/tests/fixtures/arr/";
    json::object docs;
    for (const char* app : {"sabnzbd", "sonarr", "radarr"}) {
        json::object d;
        for (const auto& e : std::filesystem::directory_iterator(dir + app + "/well-configured")) {
            std::ifstream in(e.path());
            std::string s((std::istreambuf_iterator<char>(in)), {});
            d[e.path().stem().string()] = json::parse(s);
        }
        docs[app] = d;
    }
    auto findings = audit::evaluate_rules(rules(), docs, kToday);
    EXPECT_TRUE(plan_fixes(rules(), findings, docs, {}, kToday).changes.empty());
}

std::string load_error(const std::string& fix) {
    std::string file =
        R"({"schema": "autoarr.rules/1", "version": "t", "catalog": [{"id": "T-1", "application": "sabnzbd",
      "setting_path": "p", "condition": "c", "recommended": "r", "severity": "low", "category": "quality",
      "rationale": "x", "source": "s"}], "rules": [{"id": "T-1", "when": true, "fix": )" +
        fix + "}]}";
    try {
        audit::parse_rules(file, "test.json");
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

TEST(FixPlan, ABadFixInTheRuleFileIsRefusedAtLoadNamingTheRuleAndTheProblem) {
    EXPECT_EQ(load_error(R"({"resource": "misc", "field": "safe_postproc", "value": 1})"), "");
    EXPECT_NE(load_error(R"({"resource": "misc", "field": "api_key", "value": "x"})")
                  .find("test.json rule T-1: fix: \"api_key\" is a secret field"),
              std::string::npos);
    EXPECT_NE(
        load_error(R"({"resource": "nowhere", "field": "x", "value": 1})").find("no writable resource \"nowhere\""),
        std::string::npos);
    EXPECT_NE(load_error(R"({"resource": "servers", "field": "ssl", "value": 1})").find("\"each\" is needed"),
              std::string::npos);
    EXPECT_NE(load_error(R"({"resource": "misc", "field": "x"})").find("\"value\" is missing"), std::string::npos);
    EXPECT_NE(load_error(R"({"resource": "misc", "field": "x", "value": {"nope": 1}})").find("nope"),
              std::string::npos);
    EXPECT_NE(
        load_error(R"({"resource": "misc", "field": "x", "value": 1, "colour": 2})").find("unknown key \"colour\""),
        std::string::npos);
    EXPECT_NE(load_error(R"({"app": "plex", "resource": "misc", "field": "x", "value": 1})").find("\"app\" must be"),
              std::string::npos);
    EXPECT_NE(load_error(R"([])").find("empty array"), std::string::npos);
}

TEST(FixPlan, SameValueFollowsTheAppsTypes) {
    EXPECT_TRUE(same_value(json::value(1), json::value("1")));  // SABnzbd keeps text
    EXPECT_TRUE(same_value(json::value(true), json::value(1)));
    EXPECT_TRUE(same_value(json::value(1.0), json::value(1)));
    EXPECT_FALSE(same_value(json::value("1"), json::value("01")));
    EXPECT_FALSE(same_value(json::value(nullptr), json::value("")));
    EXPECT_FALSE(same_value(json::value(false), json::value("")));
    EXPECT_FALSE(same_value(json::value(2), json::value("1")));
}

// Found by the fix_writers fuzzer in its long run: a document value of 1e308
// was cast to int64_t (undefined behaviour) when compared with the fix's.
TEST(FixPlan, SameValueTakesNumbersBeyondInt64) {
    EXPECT_FALSE(same_value(json::value(1e308), json::value(1)));
    EXPECT_TRUE(same_value(json::value(1e308), json::value(1e308)));
    EXPECT_FALSE(same_value(json::value(-1e300), json::value("0")));
    EXPECT_TRUE(same_value(json::value(4.5), json::value(4.5)));
}

}  // namespace
}  // namespace autoarr::fix
