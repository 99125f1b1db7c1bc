// The audit pipeline end to end: rules, enrichment through a real router and
// real provider plugins (the scriptable one, and Ollama against its fixture
// server), and the reports.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "audit/audit_run.h"
#include "audit/enrichment.h"
#include "support/fixture_server.h"
#include "support/plugin_dir.h"
#include "support/provider_harness.h"
#include "util/log.h"

namespace autoarr::audit {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kStack = std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack";

const RuleSet& rules() {
    static RuleSet set = load_rules(installed_rules_path());
    return set;
}

const char* kAnswer = R"({"findings":[{"rule_id":"SAB-SEC-01","explanation":"Your SABnzbd is open to the internet.",
  "impact":"Anyone can read your usenet password.","priority":1},{"Rule_ID":"son-sec-02","Explanation":"External auth."},
  {"rule_id":"NOPE-99","explanation":"an invented rule"}],
  "additional_findings":[{"application":"sonarr","setting_path":"config_host.urlBase","current":"","recommended":"set a URL base behind a proxy","severity":"low","explanation":"real setting"},
  {"application":"sonarr","setting_path":"config_host.inventedSetting","recommended":"x","severity":"low","explanation":"invented"}]})";

class AuditTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        log::set_threshold(log::Level::error);
        dir_ = new test::TempDir();
        test::install_fixture(dir_->path(), "a", "fixture_script_a", "script-a");
        registry_ = new plugin::PluginRegistry(plugin::PluginRegistry::discover({{dir_->path(), "t"}}));
    }
    static void TearDownTestSuite() {
        delete registry_;
        delete dir_;
    }
    std::unique_ptr<routing::Router> router_with(std::vector<std::string> answers, bool reject_format = false) {
        json::array arr;
        for (auto& a : answers) arr.emplace_back(a);
        routing::RouterOptions o;
        o.order = {"script-a"};
        return std::make_unique<routing::Router>(
            std::vector<routing::ProviderSpec>{
                {registry_->find("script-a"),
                 json::serialize(json::object{{"contents", arr}, {"reject_format", reject_format}}),
                 {}}},
            o);
    }
    AuditReport audit(routing::Router* router) {
        AuditOptions opts;
        opts.today = "2026-11-25";
        return run_audit(connectors::read_stack_dir(kStack), rules(), router, opts);
    }
    const Finding* find(const AuditReport& r, const std::string& id) {
        for (const auto& f : r.findings)
            if (f.rule.id == id) return &f;
        return nullptr;
    }
    static inline test::TempDir* dir_ = nullptr;
    static inline plugin::PluginRegistry* registry_ = nullptr;
};

TEST_F(AuditTest, RulesOnlyWhenNoProviderAndItSaysWhy) {
    auto r = audit(nullptr);
    EXPECT_EQ(r.mode, "rules-only");
    EXPECT_FALSE(r.mode_reason.empty());
    EXPECT_EQ(r.findings.size(), 91u);
    EXPECT_EQ(r.score, 0);
    auto j = json::parse(report_json(r)).as_object();
    for (const char* k :
         {"audit_id", "created_at", "mode", "provider", "attempts", "score", "applications", "findings"})
        EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_TRUE(j.at("provider").is_null());
    EXPECT_EQ(j.at("findings").as_array()[0].at("origin"), "rules");
}

TEST_F(AuditTest, FencedAnswerIsAppliedAndInventionsDropped) {
    auto router = router_with({std::string("Sure! Here is the JSON:\n```json\n") + kAnswer + "\n```\nAnything else?"});
    auto r = audit(router.get());
    ASSERT_EQ(r.mode, "llm") << r.mode_reason;
    EXPECT_EQ(r.provider, "script-a");
    EXPECT_EQ(find(r, "SAB-SEC-01")->explanation, "Your SABnzbd is open to the internet.");
    EXPECT_EQ(find(r, "SAB-SEC-01")->impact, "Anyone can read your usenet password.");
    EXPECT_EQ(find(r, "SON-SEC-02")->explanation, "External auth.");  // keys and ids in any case
    // The same answer comes back for every batch: each finding is taken
    // from the batch that asked about it, the rest is dropped.
    EXPECT_EQ(r.enrichment.explained, 2);
    EXPECT_EQ(r.enrichment.total, 91);
    EXPECT_EQ(r.enrichment.state, "partial");
    EXPECT_GE(r.enrichment.dropped_unknown_rule, 1);  // NOPE-99 did not fire
    EXPECT_GE(r.enrichment.dropped_unknown_path, 1);  // inventedSetting is not in the documents
    EXPECT_EQ(r.enrichment.added, 1);                 // once, though every batch offered it
    const Finding* extra = find(r, "LLM-1");
    ASSERT_NE(extra, nullptr);
    EXPECT_EQ(extra->origin, "llm");
    EXPECT_EQ(extra->rule.setting_path, "sonarr.config_host.urlBase");
    EXPECT_EQ(r.findings.size(), 92u);
}

TEST_F(AuditTest, ProseWrappedAnswer) {
    auto router = router_with({std::string("I reviewed it. ") + kAnswer + " Let me know."});
    auto r = audit(router.get());
    EXPECT_EQ(r.mode, "llm") << r.mode_reason;
    EXPECT_FALSE(r.enrichment.repaired);
}

TEST_F(AuditTest, InvalidThenRepaired) {
    auto router = router_with({"I think your config is mostly fine!", kAnswer});
    auto r = audit(router.get());
    EXPECT_EQ(r.mode, "llm") << r.mode_reason;
    EXPECT_TRUE(r.enrichment.repaired);
    std::string calls;
    ASSERT_TRUE(router->list_models("script-a", calls).ok());
    EXPECT_EQ(find(r, "SAB-SEC-01")->explanation, "Your SABnzbd is open to the internet.");  // after the repair
    EXPECT_EQ(calls, "{\"calls\":" + std::to_string(r.enrichment.model_calls) + "}");
}

TEST_F(AuditTest, InvalidTwiceKeepsTheRulesOnlyResult) {
    auto router = router_with({"no json here", R"({"something_else": true})"});
    auto r = audit(router.get());
    EXPECT_EQ(r.mode, "rules-only");
    EXPECT_NE(r.mode_reason.find("batches failed"), std::string::npos) << r.mode_reason;
    EXPECT_EQ(r.enrichment.state, "failed");
    EXPECT_EQ(r.enrichment.batches_failed, r.enrichment.batches);
    EXPECT_EQ(r.findings.size(), 91u);
    for (const auto& f : r.findings) EXPECT_TRUE(f.explanation.empty());
}

// A third-party provider without AUTOARR_CAP_JSON_SCHEMA (or JSON mode) that
// refuses "format", as docs/payloads.md tells it to, is still used: the
// schema is in the prompt, and the host leaves "format" out for it.
TEST_F(AuditTest, AProviderWithoutJsonSchemaGetsTheSchemaInThePrompt) {
    auto router = router_with({kAnswer}, /*reject_format=*/true);
    auto r = audit(router.get());
    ASSERT_EQ(r.mode, "llm") << r.mode_reason;
    EXPECT_EQ(r.enrichment.explained, 2);
    EXPECT_EQ(find(r, "SAB-SEC-01")->explanation, "Your SABnzbd is open to the internet.");
    for (const auto& a : r.attempts) EXPECT_EQ(a.reason.find("format"), std::string::npos) << a.reason;
}

TEST_F(AuditTest, ExtractJsonObject) {
    EXPECT_TRUE(extract_json_object(R"({"a":1})"));
    EXPECT_TRUE(extract_json_object("```\n{\"a\": \"}\"}\n```"));
    EXPECT_TRUE(extract_json_object("text {not json} then {\"a\": {\"b\": 2}} end"));
    EXPECT_FALSE(extract_json_object("no braces at all"));
    EXPECT_FALSE(extract_json_object("{\"unterminated\": "));
}

// Found writing the model-answer fuzz target (tests/fuzz/model_answer_fuzz.cpp):
// every '{' started a scan to the end of the answer, so 256 KiB of '{' (or of
// nested braces) took about a minute of CPU on the enrichment worker.
TEST_F(AuditTest, ExtractJsonObjectIsBoundedOnBraceFloods) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(extract_json_object(std::string(256 * 1024, '{')));
    EXPECT_FALSE(extract_json_object(std::string(128 * 1024, '{') + std::string(128 * 1024, '}')));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    // A few stray braces before the answer still find it.
    std::string prose = "Notes: { {{ like {this} and {{that";
    for (int i = 0; i < 20; ++i) prose += " more { prose";
    EXPECT_TRUE(extract_json_object(prose + R"( {"findings": []} end)"));
}

// Through the real Ollama plugin and its fixture server: what the model is
// sent carries no secret, and its answer is applied.
TEST_F(AuditTest, TheModelNeverSeesASecret) {
    test::FixtureServer server;
    server.on("GET", "/api/tags", [](const test::ReceivedRequest&) {
        test::FixtureResponse r;
        r.body = test::fixture_bytes("ollama/tags.json");
        return r;
    });
    server.on("POST", "/api/chat", [](const test::ReceivedRequest&) {
        test::FixtureResponse r;
        r.body = json::serialize(json::object{{"model", "llama3.2"},
                                              {"message", json::object{{"role", "assistant"}, {"content", kAnswer}}},
                                              {"done", true},
                                              {"done_reason", "stop"}});
        return r;
    });
    routing::RouterOptions o;
    o.order = {"ollama"};
    routing::Router router(
        {{test::builtin_plugin("ollama"), R"({"url":")" + server.url() + R"(","model":"llama3.2"})", {}}}, o);
    auto r = audit(&router);
    ASSERT_EQ(r.mode, "llm") << r.mode_reason;
    EXPECT_EQ(r.provider, "ollama");
    std::string sent;
    for (const auto& req : server.requests()) sent += req.body;
    EXPECT_NE(sent.find("SAB-SEC-01"), std::string::npos);  // the findings went out
    for (const char* secret :
         {"9b1e4c7a2f6d4e0b8a3c5d7e9f1a2b3c", "2e7d9a4c6b1f4d3e8c0a5b7d9e1f3a2c", "usenetuser", "blockuser"})
        EXPECT_EQ(sent.find(secret), std::string::npos) << secret;
    std::string report = report_json(r) + report_markdown(r) + report_text(r, false);
    EXPECT_EQ(report.find("9b1e4c7a2f6d4e0b8a3c5d7e9f1a2b3c"), std::string::npos);
}

TEST_F(AuditTest, MarkdownAndTextGroupByApplication) {
    auto r = audit(nullptr);
    auto md = report_markdown(r);
    EXPECT_NE(md.find("## SABnzbd"), std::string::npos);
    EXPECT_NE(md.find("## Across applications"), std::string::npos);
    EXPECT_NE(md.find("| critical | SAB-SEC-01 |"), std::string::npos);
    auto plain = report_text(r, false);
    EXPECT_EQ(plain.find("\x1b["), std::string::npos);
    EXPECT_NE(report_text(r, true).find("\x1b[1;31m"), std::string::npos);
}

}  // namespace
}  // namespace autoarr::audit
