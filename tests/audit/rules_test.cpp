// The shipped rule file against the sample stacks: every id the catalog
// expects fires on the misconfigured stack, nothing else does, and the
// well-configured stack produces no finding at all.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <set>

#include "audit/engine.h"
#include "audit/expression.h"
#include "audit/redact.h"
#include "connectors/stack.h"
#include "support/fixture_server.h"
#include "support/temp_dir.h"

namespace autoarr::audit {
namespace {

namespace json = boost::json;
const std::string kArr = std::string(AUTOARR_SOURCE_DIR) + "/tests/fixtures/arr/";

// The stacks are laid out <app>/<variant>/; make DIR/<app>/ views of one variant.
connectors::Stack variant(const std::string& name) {
    static std::map<std::string, std::unique_ptr<test::TempDir>> dirs;
    auto& d = dirs[name];
    if (!d) {
        d = std::make_unique<test::TempDir>();
        for (const char* app : {"sabnzbd", "sonarr", "radarr"})
            std::filesystem::create_directory_symlink(kArr + app + "/" + name, d->path() / app);
    }
    return connectors::read_stack_dir(d->path());
}

const RuleSet& rules() {
    static RuleSet set = load_rules(installed_rules_path());
    return set;
}

std::set<std::string> ids(const std::vector<Finding>& f) {
    std::set<std::string> out;
    for (const auto& x : f) out.insert(x.rule.id);
    return out;
}

TEST(RulesTest, EveryCatalogRuleIsImplemented) {
    EXPECT_EQ(rules().rules.size(), 134u);
}

TEST(RulesTest, MisconfiguredStackFiresExactlyTheExpectedRules) {
    auto expected = json::parse(test::fixture_bytes("arr/expected_findings.json")).as_object();
    std::set<std::string> want;
    for (const auto& kv : expected.at("misconfigured").at("must_trigger").as_object())
        for (const auto& id : kv.value().as_array()) want.insert(std::string(id.as_string()));
    auto stack = variant("misconfigured");
    auto got = ids(evaluate_rules(rules(), stack.documents, std::string(expected.at("as_of").as_string())));
    for (const auto& id : want) EXPECT_TRUE(got.count(id)) << id << " did not fire";
    for (const auto& id : got) EXPECT_TRUE(want.count(id)) << id << " fired but is not expected";
    EXPECT_EQ(got.size(), 91u);
}

TEST(RulesTest, WellConfiguredStackHasNoFinding) {
    auto stack = variant("well-configured");
    for (const auto& a : stack.apps) EXPECT_EQ(a.status, "ok") << a.name << ": " << a.error;
    auto findings = evaluate_rules(rules(), stack.documents, "2026-11-25");
    for (const auto& f : findings) ADD_FAILURE() << f.rule.id << " fired: " << json::serialize(f.current);
    EXPECT_EQ(health_score(findings), 100);
}

TEST(RulesTest, FindingsAreSortedBySeverityAndScored) {
    auto findings = evaluate_rules(rules(), variant("misconfigured").documents, "2026-11-25");
    for (std::size_t i = 1; i < findings.size(); ++i)
        EXPECT_LE(severity_rank(findings[i - 1].rule.severity), severity_rank(findings[i].rule.severity));
    EXPECT_EQ(findings.front().rule.severity, "critical");
    EXPECT_EQ(health_score(findings), 0);  // 5 critical alone cost 125
}

TEST(RulesTest, TheExpiryRuleDependsOnTheAuditDate) {
    auto docs = variant("misconfigured").documents;
    EXPECT_TRUE(ids(evaluate_rules(rules(), docs, "2026-11-25")).count("SAB-REL-07"));
    EXPECT_FALSE(ids(evaluate_rules(rules(), docs, "2026-01-10")).count("SAB-REL-07"));
}

TEST(RulesTest, OneAppAloneYieldsOnlyItsRulesAndTheMappingRules) {
    auto stack = variant("misconfigured");
    json::object only;
    only["sonarr"] = stack.documents.at("sonarr");
    for (const auto& f : evaluate_rules(rules(), only, "2026-11-25")) {
        const auto& id = f.rule.id;
        EXPECT_TRUE(id.rfind("SON-", 0) == 0 || id == "X-RPM-02" || id == "X-RPM-03") << id;
    }
}

TEST(RulesTest, RedactionKeepsRulesHonestAndRemovesSecrets) {
    auto stack = variant("misconfigured");
    json::value docs = stack.documents;
    int n = redact(docs);
    EXPECT_GE(n, 5);
    std::string text = json::serialize(docs);
    for (const char* secret :
         {"9b1e4c7a2f6d4e0b8a3c5d7e9f1a2b3c", "2e7d9a4c6b1f4d3e8c0a5b7d9e1f3a2c", "testkey", "usenetuser"})
        EXPECT_EQ(text.find(secret), std::string::npos) << secret;
    // Empty values stay empty, so every rule but the key-quality ones (which need the
    // key itself and so run on live documents before redaction) gives the same answer.
    auto before = ids(evaluate_rules(rules(), stack.documents, "2026-11-25"));
    auto after = ids(evaluate_rules(rules(), docs.as_object(), "2026-11-25"));
    for (const char* key_rule : {"SON-SEC-05", "RAD-SEC-05", "SAB-SEC-11"}) before.erase(key_rule);
    EXPECT_EQ(before, after);
}

TEST(RulesTest, BrokenRuleFilesAreRejectedWithTheRuleId) {
    const char* base = R"({"schema":"autoarr.rules/1","version":"t","catalog":[{"id":"T-1","application":"sabnzbd",
      "setting_path":"p","condition":"c","recommended":"r","severity":"low","category":"quality","rationale":"x",
      "source":"s"}],"rules":[)";
    auto bad = [&](const std::string& rules_part) {
        try {
            parse_rules(std::string(base) + rules_part + "]}", "t.json");
            return std::string("accepted");
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
    };
    EXPECT_NE(bad(R"({"id":"T-1","when":{"nope":[1]}})").find("T-1: unknown operator \"nope\""), std::string::npos);
    EXPECT_NE(bad(R"({"id":"T-1","when":{"eq":[1]}})").find("takes 2"), std::string::npos);
    EXPECT_NE(bad(R"({"id":"T-1","when":{"matches":["$sab.x","("]}})").find("bad regex"), std::string::npos);
    EXPECT_NE(bad(R"({"id":"T-2","when":true})").find("no catalog entry"), std::string::npos);
    EXPECT_NE(bad("").find("T-1 has no logic"), std::string::npos);
    EXPECT_EQ(bad(R"({"id":"T-1","when":{"on":"$sab.misc.x"}})"), "accepted");
}

// Found by fuzzing (tests/fuzz/expression_fuzz.cpp): libstdc++'s regex
// compiler reads a repetition count or a back-reference number with signed
// overflow (undefined behaviour), and nested counts build an automaton of
// their product's size. Such patterns are refused when the rules load.
TEST(RulesTest, RegexCountsThatStdRegexCannotReadAreRefused) {
    auto why = [](const std::string& pattern) {
        try {
            validate(boost::json::value{{"matches", boost::json::array{"$sab.misc.permissions", pattern.c_str()}}});
            return std::string("accepted");
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
    };
    EXPECT_NE(why("^0?[0-7]{0,2725555555555555555555555555555555555555555555}").find("repeats more than 1000"),
              std::string::npos);
    EXPECT_NE(why("(6666666666\\6666666666666666666666666660-7]").find("back-reference"), std::string::npos);
    EXPECT_NE(why("((a{100}){100}){100}").find("product"), std::string::npos);
    EXPECT_NE(why(std::string(1025, 'a')).find("longer than 1024"), std::string::npos);
    // What the shipped rules use, and counts inside a class or escaped, stay allowed.
    for (const char* ok : {"^[0-9a-fA-F]{32}$", "^0?[0-7]{0,2}[2367]$", "a{1000}", "[{99999999999}]"})
        EXPECT_EQ(why(ok), "accepted") << ok;
    // RE2 (decision 0016) has no back-references and no repetition of a repetition: refused, named.
    EXPECT_NE(why("(a)\\1").find("bad regex \"(a)\\1\": invalid escape sequence"), std::string::npos) << why("(a)\\1");
    EXPECT_NE(why("^0?{0,2}.+*x").find("bad repetition operator"), std::string::npos) << why("^0?{0,2}.+*x");
}

// Found by the long fuzz run: std::regex backtracked for minutes on these (the first
// outright, the second within its 120 s timeout). On RE2 a match takes time linear in the
// text, and a long text no longer recurses once per character.
TEST(RulesTest, PatternsThatBacktrackedForMinutesMatchInLinearTime) {
    json::object docs;
    Scope s;
    s.documents = &docs;
    const auto start = std::chrono::steady_clock::now();
    auto slow = evaluate(json::parse(R"({"matches":["s","^0?[2-7]{0,2}[2;d?[07-Y{0C2dddddddd666666666666any60-7]{0,2})"
                                     R"(++++++ddddddddddddd"]})"),
                         s);
    EXPECT_FALSE(slow.has_value() && slow->is_bool() && slow->get_bool());
    const std::string text(1 << 20, 'a');  // 1 MiB: std::regex's recursion would overflow the stack
    json::object big{{"t", text}};
    s.vars["big"] = Value(json::value(big));
    auto r = evaluate(json::parse(R"({"matches":["$big.t","(a|aa)*b"]})"), s);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->get_bool());
    r = evaluate(json::parse(R"({"matches":["$big.t","^a+$"]})"), s);
    EXPECT_TRUE(r->get_bool());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ExpressionTest, QuirksOfTheRealApis) {
    json::object docs = json::parse(R"({"sabnzbd":{"get_config":{"config":{"misc":{
        "a":0,"b":true,"c":"1","d":"","e":false,"cache":"1G","port":"8080","list":[]}}}}})")
                            .as_object();
    Scope s;
    s.documents = &docs;
    auto eval = [&](const char* e) { return evaluate(json::parse(e), s); };
    EXPECT_FALSE(truthy(eval(R"({"on":"$sab.misc.a"})")));
    EXPECT_TRUE(truthy(eval(R"({"on":"$sab.misc.b"})")));
    EXPECT_TRUE(truthy(eval(R"({"on":"$sab.misc.c"})")));
    EXPECT_TRUE(truthy(eval(R"({"off":"$sab.misc.e"})")));
    EXPECT_FALSE(truthy(eval(R"({"off":"$sab.misc.missing"})")));    // missing is not "off"
    EXPECT_TRUE(truthy(eval(R"({"eq":["$sab.misc.port",8080]})")));  // string vs integer
    EXPECT_TRUE(truthy(eval(R"({"ge":[{"size":"$sab.misc.cache"},1073741824]})")));
    EXPECT_TRUE(truthy(eval(R"({"empty":"$sab.misc.list"})")));
    EXPECT_EQ(*eval(R"({"sab_cat_path":["/data/complete","tv*"]})"), json::value("/data/complete/tv"));
    EXPECT_EQ(*eval(R"({"sab_cat_path":["/data/complete","/movies"]})"), json::value("/movies"));
    EXPECT_EQ(*eval(R"({"remap":["/downloads/complete/tv","/downloads/","/mnt/dl/"]})"),
              json::value("/mnt/dl/complete/tv"));
    EXPECT_TRUE(truthy(eval(R"({"inside":["/tv/.recycle","/tv/"]})")));
    EXPECT_FALSE(truthy(eval(R"({"inside":["/tvshows","/tv"]})")));
    EXPECT_TRUE(truthy(eval(R"({"is_public_host":"sab.example.com"})")));
    EXPECT_FALSE(truthy(eval(R"({"is_public_host":"192.168.1.5"})")));
    EXPECT_FALSE(truthy(eval(R"({"is_public_host":"sabnzbd"})")));
    EXPECT_FALSE(eval(R"("$sab.misc.nope.deeper")").has_value());
    EXPECT_FALSE(truthy(eval(R"({"gt":["$sab.misc.d",1]})")));  // wrong type: false, no throw
}

}  // namespace
}  // namespace autoarr::audit
