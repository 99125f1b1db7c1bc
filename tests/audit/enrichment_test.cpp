// Enrichment as a real home server sees it: the real Ollama plugin
// (dlopen'd) against an Ollama that behaves like one (tests/support/
// ollama_sim.h: a 4k window with silent truncation, one request at a time),
// the sample stack's 91 findings, and the real SQLite store as the cache.
#include "audit/enrichment.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "audit/audit_run.h"
#include "audit/evidence.h"
#include "connectors/stack.h"
#include "support/ollama_sim.h"
#include "support/provider_harness.h"
#include "support/temp_dir.h"
#include "util/log.h"

namespace autoarr::audit {
namespace {

namespace json = boost::json;

const std::string kStack = std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack";

const RuleSet& rules() {
    static RuleSet set = load_rules(installed_rules_path());
    return set;
}

const connectors::Stack& sample() {
    static connectors::Stack s = connectors::read_stack_dir(kStack);
    return s;
}

class EnrichmentTest : public ::testing::Test {
protected:
    void SetUp() override { log::set_threshold(log::Level::error); }

    std::unique_ptr<routing::Router> router_for(test::OllamaSim& sim, const std::string& extra = "") {
        routing::RouterOptions o;
        o.order = {"ollama"};
        return std::make_unique<routing::Router>(
            std::vector<routing::ProviderSpec>{{test::builtin_plugin("ollama"),
                                                R"({"url":")" + sim.url() + R"(","model":"qwen2.5:7b")" + extra + "}",
                                                {}}},
            o);
    }
    AuditReport audit(routing::Router& router, store::Store* cache = nullptr,
                      const connectors::Stack& stack = sample()) {
        AuditOptions opts;
        opts.today = "2026-11-25";
        opts.explain.cache = cache;
        return run_audit(stack, rules(), &router, opts);
    }
    static test::OllamaSimProfile home_server() {
        test::OllamaSimProfile p;
        p.model_max_context = 4096;  // a 4k model: the window is the whole story
        return p;
    }
};

TEST_F(EnrichmentTest, NoRequestExceedsTheWindowAndEveryFindingIsExplained) {
    test::OllamaSim sim(home_server());
    auto router = router_for(sim);
    auto r = audit(*router);
    ASSERT_EQ(r.mode, "llm") << r.mode_reason;
    EXPECT_EQ(r.enrichment.total, 91);
    EXPECT_EQ(r.enrichment.explained, 91) << r.enrichment.not_explained_reason;
    EXPECT_EQ(r.enrichment.state, "complete");
    EXPECT_EQ(r.enrichment.context_window, 4096);
    const auto chats = sim.chats();
    ASSERT_GT(chats.size(), 5u);
    for (const auto& c : chats) {
        EXPECT_FALSE(c.truncated) << c.prompt_tokens << " tokens in a window of " << c.num_ctx;
        EXPECT_EQ(c.num_ctx, 4096);
        EXPECT_LE(c.prompt_tokens + 110 * 8 + 48, 4096);  // room for the answer, by construction
    }
    EXPECT_EQ(sim.max_parallel(), 1);
    for (const auto& f : r.findings) EXPECT_FALSE(f.explanation.empty()) << f.rule.id;
}

TEST_F(EnrichmentTest, CriticalFindingsGoFirstAndEveryBatchSharesOneInstructionPrefix) {
    test::OllamaSim sim(home_server());
    auto router = router_for(sim);
    auto r = audit(*router);
    const auto chats = sim.chats();
    ASSERT_FALSE(chats.empty());
    for (const auto& id : chats.front().seen) {
        auto it = std::find_if(r.findings.begin(), r.findings.end(), [&](const Finding& f) { return f.rule.id == id; });
        ASSERT_NE(it, r.findings.end());
        EXPECT_EQ(it->rule.severity, "critical") << id;
    }
    // The same system message, byte for byte, so the server's KV cache reuses it.
    for (std::size_t i = 1; i < chats.size(); ++i) {
        auto sys = [](const std::string& body) {
            return std::string(json::parse(body).at("messages").as_array()[0].at("content").as_string());
        };
        EXPECT_EQ(sys(chats[i].request_body), sys(chats[0].request_body));
        EXPECT_GE(chats[i].cached_tokens, static_cast<int64_t>(test::sim_count_tokens(instruction_prefix())))
            << "batch " << i << " re-read the instructions";
    }
}

TEST_F(EnrichmentTest, ABatchCarriesOnlyItsOwnEvidenceNeverTheDocuments) {
    test::OllamaSim sim(home_server());
    auto router = router_for(sim);
    audit(*router);
    for (const auto& c : sim.chats()) {
        EXPECT_LT(c.request_body.size(), 12000u);
        // A whole document would bring along settings no rule reads.
        EXPECT_EQ(c.request_body.find("\"quota_period\""), std::string::npos);
    }
}

TEST_F(EnrichmentTest, OneMalformedBatchIsDroppedOnItsOwn) {
    test::OllamaSim sim(home_server());
    sim.answer_garbage_for("SAB-SEC-01");  // in the first batch: its answer and its repair are garbage
    auto router = router_for(sim);
    auto r = audit(*router);
    EXPECT_EQ(r.mode, "llm");
    EXPECT_EQ(r.enrichment.state, "partial");
    EXPECT_EQ(r.enrichment.batches_failed, 1);
    EXPECT_EQ(r.enrichment.explained, 91 - 3);  // the first batch holds 3 findings
    EXPECT_TRUE(r.enrichment.repaired == false);
    for (const auto& f : r.findings)
        if (f.rule.id == "SAB-SEC-01") {
            EXPECT_TRUE(f.explanation.empty());
        }
    auto text = report_text(r, false);
    EXPECT_NE(text.find("explained 88 of 91"), std::string::npos) << text.substr(0, 400);
}

TEST_F(EnrichmentTest, TheCacheMakesASecondAuditOfAnUnchangedStackFree) {
    test::TempDir dir;
    store::Store cache((dir.path() / "autoarr.db").string());
    test::OllamaSim sim(home_server());
    auto router = router_for(sim);
    auto first = audit(*router, &cache);
    ASSERT_EQ(first.enrichment.explained, 91);
    const auto calls = sim.chats().size();

    auto second = audit(*router, &cache);
    EXPECT_EQ(sim.chats().size(), calls) << "the model was asked again";
    EXPECT_EQ(second.enrichment.explained, 91);
    EXPECT_EQ(second.enrichment.cached, 91);
    EXPECT_EQ(second.enrichment.model_calls, 0);
    EXPECT_EQ(second.mode, "llm");
    for (std::size_t i = 0; i < second.findings.size(); ++i)
        EXPECT_EQ(second.findings[i].explanation, first.findings[i].explanation);
}

// A provider may answer with another name than the one configured (Claude's
// alias claude-sonnet-4-5 answers as claude-sonnet-4-5-20250929): the cache
// is written under the name it is read by.
TEST_F(EnrichmentTest, TheCacheHitsWhenAnswersNameTheModelDifferently) {
    test::TempDir dir;
    store::Store cache((dir.path() / "autoarr.db").string());
    auto p = home_server();
    p.answered_model = "qwen2.5:7b-instruct-q4_K_M";
    test::OllamaSim sim(p);
    auto router = router_for(sim);
    ASSERT_EQ(audit(*router, &cache).enrichment.explained, 91);
    const auto calls = sim.chats().size();
    auto second = audit(*router, &cache);
    EXPECT_EQ(second.enrichment.cached, 91);
    EXPECT_EQ(sim.chats().size(), calls);
}

TEST_F(EnrichmentTest, AChangedSettingAsksOnlyAboutTheFindingsItTouches) {
    test::TempDir dir;
    store::Store cache((dir.path() / "autoarr.db").string());
    test::OllamaSim sim(home_server());
    auto router = router_for(sim);
    audit(*router, &cache);
    const auto before = sim.chats().size();

    connectors::Stack changed = sample();
    changed.documents["sabnzbd"]
        .as_object()["get_config"]
        .as_object()["config"]
        .as_object()["misc"]
        .as_object()["cache_limit"] = "128M";  // still too small, but a different value
    auto r = audit(*router, &cache, changed);
    auto chats = sim.chats();
    ASSERT_EQ(chats.size(), before + 1);
    EXPECT_EQ(chats.back().seen, (std::set<std::string>{"SAB-PERF-01"}));
    EXPECT_EQ(r.enrichment.cached, 90);
    EXPECT_EQ(r.enrichment.explained, 91);
}

TEST_F(EnrichmentTest, ADeadlineKeepsWhatWasExplainedAndSaysWhy) {
    auto p = home_server();
    p.generated_tokens_per_s = 1000;  // 3 findings' answer ~ 0.2 s
    p.time_scale = 1;
    test::OllamaSim sim(p);
    auto router = router_for(sim);
    AuditOptions opts;
    opts.today = "2026-11-25";
    opts.explain.deadline = std::chrono::milliseconds(2500);
    auto r = run_audit(sample(), rules(), router.get(), opts);
    EXPECT_EQ(r.enrichment.state, "partial");
    EXPECT_GT(r.enrichment.explained, 0);
    EXPECT_LT(r.enrichment.explained, 91);
    EXPECT_NE(r.enrichment.not_explained_reason.find("deadline"), std::string::npos)
        << r.enrichment.not_explained_reason;
    auto j = json::parse(report_json(r)).as_object();
    EXPECT_EQ(j.at("enrichment").at("explained"), r.enrichment.explained);
    EXPECT_EQ(j.at("enrichment").at("total"), 91);
}

TEST_F(EnrichmentTest, EvidenceIsTheSettingsTheRuleReadsProjected) {
    const auto& docs = sample().documents;
    for (const auto& rule : rules().rules) {
        auto e = rule_evidence(rule, docs);
        EXPECT_LE(json::serialize(e).size(), 1000u) << rule.entry.id;
        if (rule.entry.id == "SAB-SEC-01") {
            EXPECT_EQ(json::serialize(e), R"({"sabnzbd":{"misc":{"inet_exposure":4,"password":"","username":""}}})");
        }
        if (rule.entry.id == "X-CAT-01") {  // cross-app: each *arr's SABnzbd client and its category
            const std::string s = json::serialize(e);
            EXPECT_NE(s.find("\"arrs\""), std::string::npos) << s;
            EXPECT_NE(s.find("tvCategory"), std::string::npos) << s;
            EXPECT_NE(s.find("\"categories\""), std::string::npos) << s;
        }
    }
}

TEST_F(EnrichmentTest, AWindowTooSmallForAnyFindingSendsNothingAndSaysWhy) {
    auto p = home_server();
    p.model_max_context = 512;  // smaller than the instructions and one answer
    test::OllamaSim sim(p);
    auto router = router_for(sim, R"(,"num_ctx":512)");
    auto r = audit(*router);
    EXPECT_EQ(sim.chats_started(), 0) << "a request that could only be cut was sent";
    EXPECT_EQ(r.enrichment.state, "failed");
    EXPECT_EQ(r.enrichment.batches_failed, r.enrichment.batches);
    EXPECT_NE(r.enrichment.not_explained_reason.find("does not fit a context window of 512 tokens"), std::string::npos)
        << r.enrichment.not_explained_reason;
}

}  // namespace
}  // namespace autoarr::audit
