// The openai plugin inside the real `autoarr serve`: several endpoints at
// once, each its own provider id, configured by a file and by
// AUTOARR_PROVIDER_<ID>_<KEY>; the default instance when nothing is
// configured; tools through POST /api/v1/chat, plain and streamed.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/openai_sim.h"
#include "support/serve_process.h"
#include "support/temp_dir.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;

const json::object* provider(const json::value& list, const std::string& id) {
    for (const auto& p : list.as_array())
        if (p.at("id").as_string() == id) return &p.as_object();
    return nullptr;
}

// The providers view once every provider has had a health check.
json::value providers_when_checked(Serve& s) {
    json::value v;
    for (int i = 0; i < 100; ++i) {
        v = s.get("/api/v1/providers").json();
        bool starting = false;
        for (const auto& p : v.as_array()) starting = starting || p.at("state") == "starting";
        if (!starting) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return v;
}

TEST(OpenAiServe, SeveralEndpointsAtOnceEachWithItsOwnId) {
    TempDir dir;
    OpenAiSim llama;  // llama.cpp, no key
    OpenAiSimProfile rp;
    rp.flavor = OpenAiSimProfile::Flavor::openrouter;
    rp.model = "meta-llama/llama-3.1-8b-instruct";
    rp.api_key = "sk-or-v1-serve";
    OpenAiSim router(rp);
    write_file(dir.path() / "config.json", R"({
      "routing": {"provider": "lmstudio", "fallback_order": ["openrouter"]},
      "providers": {
        "lmstudio": {"plugin": "openai", "base_url": ")" +
                                               llama.url() + R"("},
        "openrouter": {"plugin": "openai", "model": "meta-llama/llama-3.1-8b-instruct", "health_check": "models"}
      }})");
    Serve s(dir.path() / "a.db",
            {"AUTOARR_PROVIDER_OPENROUTER_BASE_URL=" + router.url(),  // the environment completes the file
             "AUTOARR_PROVIDER_OPENROUTER_API_KEY=sk-or-v1-serve", "OLLAMA_URL=http://127.0.0.1:9"},
            {"--config", (dir.path() / "config.json").string()});
    auto list = providers_when_checked(s);
    ASSERT_TRUE(provider(list, "lmstudio")) << json::serialize(list);
    ASSERT_TRUE(provider(list, "openrouter")) << json::serialize(list);
    EXPECT_FALSE(provider(list, "openai")) << "configured instances replace the default one";
    EXPECT_EQ(provider(list, "lmstudio")->at("state"), "healthy") << json::serialize(list);
    EXPECT_EQ(provider(list, "lmstudio")->at("context_window"), 4096);
    EXPECT_EQ(provider(list, "openrouter")->at("state"), "healthy") << json::serialize(list);

    // Each id reaches its own server; the key goes only to the one it belongs to.
    auto r = s.post("/api/v1/chat", R"({"provider":"openrouter","messages":[{"role":"user","content":"hi"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json().at("provider"), "openrouter");
    EXPECT_GT(r.json().at("cost").at("amount").as_double(), 0);
    EXPECT_EQ(router.server().requests().back().headers.at("authorization"), "Bearer sk-or-v1-serve");
    r = s.post("/api/v1/chat", R"({"messages":[{"role":"user","content":"use a tool"}],"tools":[{"name":"get_config",)"
                               R"("parameters":{"type":"object"}}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json().at("provider"), "lmstudio");
    EXPECT_EQ(r.json().at("finish_reason"), "tool_calls");
    EXPECT_EQ(r.json().at("tool_calls").at(0).at("arguments").at("app"), "sabnzbd");
    for (const auto& req : llama.server().requests()) EXPECT_EQ(req.headers.count("authorization"), 0u);

    // Streamed, the tool call is one SSE event.
    r = s.post(
        "/api/v1/chat",
        R"({"stream":true,"messages":[{"role":"user","content":"use a tool"}],"tools":[{"name":"get_config"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("event: tool_call\ndata: {\"index\":0,\"id\":\"call_7\",\"name\":\"get_config\""),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find("event: done"), std::string::npos);
}

// The `openai` instance's key (served to the plugin also as the plain
// "api_key") goes to its own server only, never to a keyless endpoint beside it.
TEST(OpenAiServe, AKeyGoesOnlyToTheEndpointItWasSetFor) {
    TempDir dir;
    OpenAiSim llama;  // llama.cpp, no key
    OpenAiSimProfile rp;
    rp.flavor = OpenAiSimProfile::Flavor::openrouter;
    rp.model = "meta-llama/llama-3.1-8b-instruct";
    rp.api_key = "sk-or-v1-default";
    OpenAiSim router(rp);
    write_file(dir.path() / "config.json", R"({
      "routing": {"provider": "lmstudio", "fallback_order": ["openai"]},
      "providers": {
        "lmstudio": {"plugin": "openai", "base_url": ")" +
                                               llama.url() + R"("},
        "openai": {"plugin": "openai", "base_url": ")" +
                                               router.url() + R"(", "health_check": "models"}
      }})");
    Serve s(dir.path() / "a.db", {"AUTOARR_PROVIDER_OPENAI_API_KEY=sk-or-v1-default", "OLLAMA_URL=http://127.0.0.1:9"},
            {"--config", (dir.path() / "config.json").string()});
    auto list = providers_when_checked(s);
    ASSERT_TRUE(provider(list, "lmstudio")) << json::serialize(list);
    EXPECT_EQ(provider(list, "lmstudio")->at("state"), "healthy") << json::serialize(list);
    auto r = s.post("/api/v1/chat", R"({"provider":"lmstudio","messages":[{"role":"user","content":"hi"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    r = s.post("/api/v1/chat", R"({"provider":"openai","messages":[{"role":"user","content":"hi"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(router.server().requests().back().headers.at("authorization"), "Bearer sk-or-v1-default");
    ASSERT_FALSE(llama.server().requests().empty());
    for (const auto& req : llama.server().requests()) EXPECT_EQ(req.headers.count("authorization"), 0u) << req.target;
}

TEST(OpenAiServe, TheDefaultInstanceReadsItsVariablesAndIsNotConfiguredWithoutThem) {
    TempDir dir;
    {
        Serve s(dir.path() / "a.db", {"OLLAMA_URL=http://127.0.0.1:9", "LLM_FALLBACK_ENABLED=false"}, {});
        auto list = providers_when_checked(s);
        const auto* p = provider(list, "openai");
        ASSERT_TRUE(p) << json::serialize(list);
        EXPECT_EQ(p->at("state"), "unavailable");
        EXPECT_NE(std::string(p->at("reason").as_string()).find("not configured"), std::string::npos);
        // Asked for by name, it is never called: the reason comes back at once.
        auto r = s.post("/api/v1/chat", R"({"provider":"openai","messages":[{"role":"user","content":"hi"}]})");
        EXPECT_EQ(r.status, 503) << r.body;
        EXPECT_NE(r.body.find("AUTOARR_PROVIDER_OPENAI_BASE_URL"), std::string::npos) << r.body;
    }
    OpenAiSim llama;
    Serve s(
        dir.path() / "b.db",
        {"OLLAMA_URL=http://127.0.0.1:9", "AUTOARR_PROVIDER_OPENAI_BASE_URL=" + llama.url(),
         "AUTOARR_PROVIDER_OPENAI_MODEL=qwen2.5-7b-instruct-q4_k_m.gguf", "AUTOARR_PROVIDER_OPENAI_API_KEY=sk-local-1"},
        {});
    auto r = s.post("/api/v1/chat", R"({"provider":"openai","messages":[{"role":"user","content":"hi"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json().at("content"), "You said: hi");
    // The key from the environment reached the plugin through the secret service, and the server.
    EXPECT_EQ(llama.server().requests().back().headers.at("authorization"), "Bearer sk-local-1");
}

// An audit explained end to end by a llama.cpp server with a 4 096-token window
// that refuses a longer prompt (400 exceed_context_size_error): every finding
// explained means every batch fitted its window.
TEST(OpenAiServe, AnAuditIsExplainedThroughALlamaCppServer) {
    TempDir dir;
    OpenAiSim llama;  // n_ctx 4096, one request at a time
    write_file(dir.path() / "config.json", R"({
      "routing": {"provider": "lmstudio", "fallback_enabled": false},
      "providers": {"lmstudio": {"plugin": "openai", "base_url": ")" +
                                               llama.url() + R"("}}})");
    Serve s(dir.path() / "a.db", {"OLLAMA_URL=http://127.0.0.1:9"},
            {"--config", (dir.path() / "config.json").string(), "--sample-stack",
             std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack"});
    providers_when_checked(s);
    auto r = s.post("/api/v1/audits", R"({"source": "sample"})");
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string id(r.json().at("audit_id").as_string());
    json::object audit;
    for (int i = 0; i < 600; ++i) {
        audit = s.get("/api/v1/audits/" + id).json().as_object();
        if (audit.at("enrichment").at("state") != "running") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(audit.at("enrichment").at("state"), "complete") << json::serialize(audit.at("enrichment"));
    EXPECT_EQ(audit.at("enrichment").at("explained"), audit.at("enrichment").at("total"));
    EXPECT_EQ(audit.at("provider"), "lmstudio");
    EXPECT_EQ(audit.at("mode"), "llm");
    EXPECT_GT(llama.chats().size(), 1u);  // more than one batch: the whole stack does not fit 4 096 tokens
    int explained = 0;
    for (const auto& f : audit.at("findings").as_array()) {
        const auto* e = f.as_object().if_contains("explanation");
        if (e && e->is_string() && e->get_string().find(std::string(f.at("rule_id").as_string())) != std::string::npos)
            ++explained;
    }
    EXPECT_EQ(explained, static_cast<int>(audit.at("findings").as_array().size()));
}

}  // namespace
}  // namespace autoarr::test
