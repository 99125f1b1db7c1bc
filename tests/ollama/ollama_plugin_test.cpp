// The real Ollama plugin (dlopen'd from the build tree) against a fixture
// server on loopback that serves tests/fixtures/ollama byte for byte.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <thread>

#include "support/fixture_server.h"
#include "support/manifest_fixtures.h"
#include "support/ollama_sim.h"
#include "support/provider_harness.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const ManifestFixtures& fixtures() {
    static const ManifestFixtures f("ollama");
    return f;
}
json::object manifest_entry(const std::string& file) {
    return fixtures().entry(file);
}
std::string expected(const std::string& file, const char* key) {
    return fixtures().expected(file, key);
}
FixtureResponse from_manifest(const std::string& file) {
    return fixtures().response(file);
}

class OllamaTest : public ::testing::Test {
protected:
    void SetUp() override {
        plugin_ = builtin_plugin("ollama");
        ASSERT_NE(plugin_, nullptr) << "the ollama plugin did not load from " AUTOARR_BUILTIN_PLUGIN_DIR;
    }
    std::unique_ptr<plugin::Instance> make(const std::string& extra = "") {
        plugin::CallStatus st;
        auto inst = plugin::Instance::create(
            plugin_, R"({"url":")" + server_.url() + R"(","model":"llama3.2")" + extra + "}", st);
        EXPECT_TRUE(st.ok()) << st.message;
        return inst;
    }
    void serve_chat(const std::string& file) {
        server_.on("POST", "/api/chat", [file](const ReceivedRequest&) { return from_manifest(file); });
    }
    plugin::CallStatus complete(plugin::Instance& inst, std::string& out, const std::string& req = chat_request("hi")) {
        plugin::CallContext ctx;
        return inst.complete(ctx, req, out);
    }

    std::shared_ptr<plugin::LoadedPlugin> plugin_;
    FixtureServer server_;
};

// ABI 1.1 tools, in Ollama's own shapes: "tools" as functions, a tool call
// whole in one message with "arguments" an object (no id in older releases),
// "done_reason" "stop" even then, and the answer sent back by tool name.
TEST_F(OllamaTest, ToolsGoOutAsFunctionsAndCallsComeBackWithIds) {
    const std::string call_chunk =
        R"({"model":"llama3.2","created_at":"2026-12-01T10:00:00Z","message":{"role":"assistant","content":"",)"
        R"("tool_calls":[{"function":{"name":"get_config","arguments":{"app":"sabnzbd"}}}]},"done":false})";
    const std::string final_chunk =
        R"({"model":"llama3.2","created_at":"2026-12-01T10:00:01Z","message":{"role":"assistant","content":""},)"
        R"("done":true,"done_reason":"stop","prompt_eval_count":40,"eval_count":12})";
    std::string last_body;
    server_.on("POST", "/api/chat", [&](const ReceivedRequest& r) {
        last_body = r.body;
        const bool stream = json::parse(r.body).at("stream").as_bool();
        auto res = body_response(
            200,
            stream ? call_chunk + "\n" + final_chunk + "\n"
                   : R"({"model":"llama3.2","message":{"role":"assistant","content":"",)"
                     R"("tool_calls":[{"function":{"name":"get_config","arguments":{"app":"sabnzbd"}}}]},)"
                     R"("done":true,"done_reason":"stop","prompt_eval_count":40,"eval_count":12})",
            stream ? "application/x-ndjson" : "application/json", stream);
        if (stream) res.pieces = plan_lines(res.body);
        return res;
    });
    auto inst = make();
    ASSERT_TRUE(inst->capability_flags() & AUTOARR_CAP_TOOLS);
    const std::string tools = R"(,"tools":[{"name":"get_config","parameters":{"type":"object"}}])";
    std::string out;
    plugin::CallContext ctx;
    auto st = inst->complete(ctx, chat_request("use a tool", tools), out);
    ASSERT_TRUE(st.ok()) << st.message;
    auto o = json::parse(out).as_object();
    EXPECT_EQ(o.at("finish_reason"), "tool_calls");
    EXPECT_EQ(o.at("tool_calls").at(0).at("id"), "call_0");
    EXPECT_EQ(o.at("tool_calls").at(0).at("arguments").at("app"), "sabnzbd");
    auto sent = json::parse(last_body).as_object();
    EXPECT_EQ(sent.at("tools").at(0).at("function").at("name"), "get_config");

    std::vector<std::string> calls;
    st = inst->stream(ctx, chat_request("use a tool", tools), [&](uint32_t kind, std::string_view data) {
        if (kind == AUTOARR_EVENT_TOOL_CALL) calls.emplace_back(data);
        return true;
    });
    ASSERT_TRUE(st.ok()) << st.message;
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(json::parse(calls[0]).at("name"), "get_config");

    // The result goes back by the tool's name, which Ollama keys on.
    st = inst->complete(
        ctx,
        R"({"messages":[{"role":"user","content":"use a tool"},{"role":"assistant","content":"","tool_calls":[{"id":"call_0",)"
        R"("name":"get_config","arguments":{"app":"sabnzbd"}}]},{"role":"tool","tool_call_id":"call_0","content":"8080"}])" +
            tools + "}",
        out);
    ASSERT_TRUE(st.ok()) << st.message;
    sent = json::parse(last_body).as_object();
    EXPECT_EQ(sent.at("messages").at(2).at("tool_name"), "get_config");
    EXPECT_EQ(sent.at("messages").at(1).at("tool_calls").at(0).at("function").at("arguments").at("app"), "sabnzbd");
    // Ollama cannot force a call: said, not dropped.
    st = inst->complete(ctx, chat_request("x", tools + R"(,"tool_choice":"required")"), out);
    EXPECT_EQ(st.code, AUTOARR_ERR_INVALID_ARGUMENT);
    EXPECT_NE(st.message.find("cannot force a tool call"), std::string::npos) << st.message;
}

TEST_F(OllamaTest, StreamFixturesAssembleTheExpectedText) {
    for (std::string file : {"chat_stream.ndjson", "chat_stream_utf8.ndjson", "chat_stream_json_fenced.ndjson",
                             "chat_stream_thinking.ndjson"}) {
        SCOPED_TRACE(file);
        serve_chat(file);
        auto inst = make();
        auto r = stream_call(*inst, chat_request("hi"));
        ASSERT_TRUE(r.status.ok()) << r.status.message;
        EXPECT_EQ(r.text, expected(file, "content"));  // thinking chunks never mixed in
        ASSERT_EQ(r.done.size(), 1u);
        EXPECT_NE(r.done[0].find("\"finish_reason\":\"stop\""), std::string::npos);
    }
}

TEST_F(OllamaTest, StreamUsageAndFinishReason) {
    serve_chat("chat_stream.ndjson");
    auto r = stream_call(*make(), chat_request("hi"));
    ASSERT_TRUE(r.status.ok());
    ASSERT_EQ(r.usage.size(), 1u);
    // No /api/show here: the window in effect is the conservative one.
    EXPECT_EQ(r.usage[0], R"({"prompt_tokens":31,"completion_tokens":53,"context_window":4096})");
    EXPECT_NE(r.done[0].find("\"raw_finish_reason\":\"stop\""), std::string::npos);
}

TEST_F(OllamaTest, ChunkHostileDeliveryPlans) {
    for (std::string file : {"chat_stream.chunk_hostile.ndjson", "chat_stream_utf8.ndjson"}) {
        auto inst = make();
        expect_every_plan_reassembles(server_, "/api/chat", fixtures(), file, "content", *inst);
    }
}

TEST_F(OllamaTest, NonStreamFixtures) {
    for (std::string file : {"chat_nonstream.json", "chat_nonstream_utf8.json", "chat_nonstream_json_fenced.json"}) {
        SCOPED_TRACE(file);
        serve_chat(file);
        std::string out;
        auto st = complete(*make(), out);
        ASSERT_TRUE(st.ok()) << st.message;
        auto o = json::parse(out).as_object();
        EXPECT_EQ(o.at("content").as_string(), expected(file, "content"));
        EXPECT_EQ(o.at("finish_reason"), "stop");
    }
    serve_chat("chat_nonstream_format_json.json");
    std::string out;
    ASSERT_TRUE(complete(*make(), out, chat_request("city", R"(,"format":"json")")).ok());
    auto content = json::parse(json::parse(out).at("content").as_string());
    EXPECT_EQ(content, manifest_entry("chat_nonstream_format_json.json").at("expected").at("content_json"));
    auto sent = json::parse(server_.requests().back().body).as_object();
    EXPECT_EQ(sent.at("format"), "json");
    EXPECT_EQ(sent.at("stream"), false);
}

TEST_F(OllamaTest, ErrorLineInsideA200StreamIsAnErrorAfterThePartialOutput) {
    serve_chat("chat_stream_midstream_error.ndjson");
    auto r = stream_call(*make(), chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_TRUE(r.status.flags & AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT);
    EXPECT_EQ(r.text, expected("chat_stream_midstream_error.ndjson", "partial_content"));
    EXPECT_NE(r.status.message.find(expected("chat_stream_midstream_error.ndjson", "error")), std::string::npos);
    EXPECT_TRUE(r.done.empty());
}

TEST_F(OllamaTest, TruncatedStreamIsIncompleteNeverSuccess) {
    serve_chat("chat_stream_truncated.ndjson");
    auto r = stream_call(*make(), chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_INVALID_RESPONSE);
    EXPECT_TRUE(r.status.flags & AUTOARR_ERROR_FLAG_INCOMPLETE);
    EXPECT_EQ(r.text, expected("chat_stream_truncated.ndjson", "partial_content"));
}

TEST_F(OllamaTest, ConnectionDroppedMidStreamAtManyOffsets) {
    const std::string body = fixture_bytes("ollama/chat_stream.ndjson");
    auto inst = make();
    for (std::size_t cut : {std::size_t{1}, std::size_t{117}, body.size() / 2, body.size() - 2}) {
        SCOPED_TRACE(cut);
        server_.on("POST", "/api/chat", [cut](const ReceivedRequest&) {
            auto r = from_manifest("chat_stream.ndjson");
            r.drop_at = cut;
            return r;
        });
        auto r = stream_call(*inst, chat_request("hi"));
        EXPECT_FALSE(r.status.ok());
        EXPECT_TRUE(r.done.empty());
    }
}

TEST_F(OllamaTest, HttpErrorsMapToTypedCodes) {
    struct Case {
        std::string file;
        int32_t code;
        bool retryable;
    };
    const std::vector<Case> cases = {
        {"errors/404_model_not_found.json", AUTOARR_ERR_NOT_FOUND, false},
        {"errors/404_model_not_found_legacy.json", AUTOARR_ERR_NOT_FOUND, false},
        {"errors/400_invalid_json.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/400_unexpected_eof.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/400_missing_body.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/400_model_required.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/400_does_not_support_chat.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/400_does_not_support_thinking.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/400_invalid_think.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/500_runner_error.json", AUTOARR_ERR_BACKEND_ERROR, true},
        {"errors/503_server_busy.json", AUTOARR_ERR_RATE_LIMITED, true},
        {"errors/405_method_not_allowed.txt", AUTOARR_ERR_BACKEND_ERROR, false},
        {"errors/404_unknown_route.txt", AUTOARR_ERR_NOT_FOUND, false},
    };
    auto inst = make();
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        serve_chat(c.file);
        std::string out;
        auto st = complete(*inst, out);
        EXPECT_EQ(st.code, c.code) << st.message;
        EXPECT_EQ(bool(st.flags & AUTOARR_ERROR_FLAG_RETRYABLE), c.retryable);
        EXPECT_EQ(st.http_status, manifest_entry(c.file).at("status").as_int64());
        // The server's own words reach the message, JSON or plain text.
        std::string body = fixture_bytes("ollama/" + c.file);
        auto e = manifest_entry(c.file);
        std::string words = e.contains("expected") && e.at("expected").as_object().contains("error")
                                ? std::string(e.at("expected").at("error").as_string())
                                : body.substr(0, body.find('\n'));
        EXPECT_NE(st.message.find(words), std::string::npos) << st.message;
        // Streaming requests get the same mapping before the first byte.
        auto r = stream_call(*inst, chat_request("hi"));
        EXPECT_EQ(r.status.code, c.code);
    }
}

TEST_F(OllamaTest, HealthUsesTagsAndReportsModels) {
    server_.on("GET", "/api/tags", [](const ReceivedRequest&) { return from_manifest("tags.json"); });
    plugin::CallContext ctx;
    std::string detail;
    auto st = make()->health(ctx, detail);  // llama3.2 matches llama3.2:latest
    ASSERT_TRUE(st.ok()) << st.message;
    auto d = json::parse(detail).as_object();
    EXPECT_EQ(d.at("status"), "healthy");
    json::array want;
    const json::object tags_entry = manifest_entry("tags.json");  // keep it alive through the loop
    for (const auto& m : tags_entry.at("expected").at("model_names").as_array()) want.push_back(m);
    EXPECT_EQ(d.at("models"), want);

    detail.clear();
    ASSERT_TRUE(make(R"(,"model":"mistral")")->health(ctx, detail).ok());
    d = json::parse(detail).as_object();
    EXPECT_EQ(d.at("status"), "degraded");
    EXPECT_NE(std::string(d.at("reason").as_string()).find("model 'mistral' is not pulled; available: qwen3:8b"),
              std::string::npos)
        << detail;

    server_.on("GET", "/api/tags", [](const ReceivedRequest&) { return from_manifest("tags_empty.json"); });
    detail.clear();
    ASSERT_TRUE(make()->health(ctx, detail).ok());
    EXPECT_NE(detail.find("no models are pulled"), std::string::npos);

    for (const auto& r : server_.requests())  // never a completion; /api/show asks for the window
        EXPECT_TRUE(r.target == "/api/tags" || r.target == "/api/show") << r.target;
}

TEST_F(OllamaTest, HealthOfAServerThatIsNotThere) {
    plugin::CallStatus st;
    auto inst = plugin::Instance::create(plugin_, R"({"url":"http://127.0.0.1:1"})", st);
    plugin::CallContext ctx;
    std::string detail;
    auto h = inst->health(ctx, detail);
    EXPECT_EQ(h.code, AUTOARR_ERR_UNAVAILABLE);
    EXPECT_TRUE(h.flags & AUTOARR_ERROR_FLAG_RETRYABLE);
    EXPECT_NE(h.message.find("127.0.0.1:1"), std::string::npos);
}

TEST_F(OllamaTest, ModelListIsCachedWithATtl) {
    server_.on("GET", "/api/tags", [](const ReceivedRequest&) { return from_manifest("tags_recent.json"); });
    auto inst = make();
    plugin::CallContext ctx;
    std::string a, b;
    ASSERT_TRUE(inst->list_models(ctx, a).ok());
    ASSERT_TRUE(inst->list_models(ctx, b).ok());
    EXPECT_EQ(a, b);
    EXPECT_EQ(server_.requests().size(), 1u);
    auto short_ttl = make(R"(,"models_ttl_s":0.05)");
    ASSERT_TRUE(short_ttl->list_models(ctx, a).ok());
    std::this_thread::sleep_for(80ms);
    ASSERT_TRUE(short_ttl->list_models(ctx, a).ok());
    EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(OllamaTest, MissingModelIsPulledOnceWhenAutoDownloadIsOn) {
    std::atomic<int> chats{0};
    server_.on("POST", "/api/chat", [&](const ReceivedRequest&) {
        return ++chats == 1 ? from_manifest("errors/404_model_not_found.json") : from_manifest("chat_nonstream.json");
    });
    server_.on("POST", "/api/pull", [](const ReceivedRequest&) { return from_manifest("pull_stream.ndjson"); });
    std::string out;
    auto st = complete(*make(R"(,"auto_download":true)"), out);
    ASSERT_TRUE(st.ok()) << st.message;
    auto reqs = server_.requests();
    std::erase_if(reqs, [](const ReceivedRequest& r) { return r.target == "/api/show"; });
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[1].target, "/api/pull");
    EXPECT_EQ(json::parse(reqs[1].body).at("model"), "llama3.2");
}

TEST_F(OllamaTest, MissingModelWithoutAutoDownloadIsNotFound) {
    serve_chat("errors/404_model_not_found.json");
    std::string out;
    auto st = complete(*make(), out);
    EXPECT_EQ(st.code, AUTOARR_ERR_NOT_FOUND);
    for (const auto& r : server_.requests()) EXPECT_NE(r.target, "/api/pull");
}

TEST_F(OllamaTest, PullOfAnUnknownModelFails) {
    serve_chat("errors/404_model_not_found.json");
    server_.on("POST", "/api/pull",
               [](const ReceivedRequest&) { return from_manifest("pull_stream_not_found.ndjson"); });
    std::string out;
    auto st = complete(*make(R"(,"auto_download":true)"), out);
    EXPECT_EQ(st.code, AUTOARR_ERR_NOT_FOUND);
    EXPECT_NE(st.message.find("pull model manifest: file does not exist"), std::string::npos) << st.message;
    server_.on("POST", "/api/pull", [](const ReceivedRequest&) { return from_manifest("pull_nonstream.json"); });
    st = complete(*make(R"(,"auto_download":true)"), out);  // 404 again, then a one-object success pull, then 404
    EXPECT_EQ(st.code, AUTOARR_ERR_NOT_FOUND);
}

TEST_F(OllamaTest, KeepAliveReusesOneConnectionAndSendsAHostOllamaAccepts) {
    serve_chat("chat_nonstream.json");
    auto inst = make();
    for (int i = 0; i < 5; ++i) {
        std::string out;
        ASSERT_TRUE(complete(*inst, out).ok());
    }
    EXPECT_EQ(server_.connections(), 1u);
    EXPECT_EQ(server_.requests()[0].headers.at("host"), "127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(OllamaTest, RequestMapping) {
    serve_chat("chat_nonstream.json");
    std::string out;
    auto st = complete(
        *make(R"(,"keep_alive":"10m")"), out,
        R"({"model":"qwen3:8b","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],
                          "temperature":0.2,"max_tokens":64,"stop":["\n\n"],"format":{"type":"object"},
                          "options":{"seed":7,"num_ctx":8192}})");
    ASSERT_TRUE(st.ok()) << st.message;
    auto sent = json::parse(server_.requests().back().body).as_object();
    EXPECT_EQ(sent.at("model"), "qwen3:8b");
    EXPECT_EQ(sent.at("messages").as_array().size(), 2u);
    EXPECT_EQ(sent.at("format"), json::parse(R"({"type":"object"})"));
    EXPECT_EQ(sent.at("keep_alive"), "10m");
    auto opts = sent.at("options").as_object();
    EXPECT_EQ(opts.at("temperature").as_double(), 0.2);
    EXPECT_EQ(opts.at("num_predict"), 64);
    EXPECT_EQ(opts.at("seed"), 7);
    EXPECT_EQ(opts.at("num_ctx"), 8192);
    EXPECT_EQ(opts.at("stop").as_array()[0], "\n\n");

    st = complete(*make(), out, R"({"messages":[{"role":"function","content":"x"}]})");  // OpenAI's old role
    EXPECT_EQ(st.code, AUTOARR_ERR_INVALID_ARGUMENT);
    EXPECT_NE(st.message.find("role \"function\""), std::string::npos);
}

TEST_F(OllamaTest, CancellationClosesTheSocketPromptly) {
    server_.on("POST", "/api/chat", [](const ReceivedRequest&) {
        FixtureResponse r;
        r.hang = true;
        return r;
    });
    auto inst = make();
    plugin::CancelToken token;
    std::thread canceller([&] {
        std::this_thread::sleep_for(50ms);
        token.cancel();
    });
    auto t0 = std::chrono::steady_clock::now();
    auto r = stream_call(*inst, chat_request("hi"), 0, &token);
    canceller.join();
    EXPECT_EQ(r.status.code, AUTOARR_ERR_CANCELLED) << r.status.message;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST_F(OllamaTest, DeadlineIsHonoured) {
    server_.on("POST", "/api/chat", [](const ReceivedRequest&) {
        FixtureResponse r;
        r.hang = true;
        return r;
    });
    auto inst = make();
    auto t0 = std::chrono::steady_clock::now();
    plugin::CallContext ctx(plugin::monotonic_now_ns() + 200'000'000);
    std::string out;
    auto st = inst->complete(ctx, chat_request("hi"), out);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(st.code, AUTOARR_ERR_DEADLINE_EXCEEDED) << st.message;
    EXPECT_GE(took, 190ms);
    EXPECT_LT(took, 1s);
}

TEST_F(OllamaTest, InvalidSettingsAreConfigErrors) {
    for (const char* cfg : {R"({"url":"ftp://x"})", R"({"url":"not a url"})", R"({"timeout_s":"abc"})",
                            R"({"auto_download":"yes"})", R"({"model":""})", "[1]"}) {
        plugin::CallStatus st;
        EXPECT_EQ(plugin::Instance::create(plugin_, cfg, st), nullptr) << cfg;
        EXPECT_EQ(st.code, AUTOARR_ERR_CONFIG_INVALID) << cfg;
        EXPECT_EQ(st.message.rfind("ollama: ", 0), 0u) << st.message;
    }
}

TEST_F(OllamaTest, ConcurrentRequestsOnOneInstance) {
    serve_chat("chat_nonstream.json");
    auto inst = make();
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                std::string out;
                if (complete(*inst, out).ok()) ++ok;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 80);
    EXPECT_LE(server_.connections(), 8u);
}

// Every fixture in the manifest is exercised above or by ollama_protocol_test,
// or is listed here with the reason this client never meets it.
TEST(OllamaManifest, EveryFixtureIsAccountedFor) {
    // SKIP-LIST-BEGIN
    const std::set<std::string> skipped = {
        // OpenAI-compatible and model-management endpoints this client does not call.
        "openai_chat_completion.json",
        "openai_chat_stream.sse",
        "errors/openai_404_model_not_found.json",
        "ps.json",
        "ps_empty.json",
        "show.json",
        "version.json",
        "root.txt"};
    // SKIP-LIST-END
    std::string test_sources =
        fixture_bytes("../ollama/ollama_plugin_test.cpp") + fixture_bytes("../ollama/ollama_protocol_test.cpp");
    auto begin = test_sources.find("// SKIP-LIST-BEGIN"), end = test_sources.find("// SKIP-LIST-END");
    ASSERT_TRUE(begin != std::string::npos && end != std::string::npos);
    test_sources.erase(begin, end - begin);
    auto manifest = json::parse(fixture_bytes("ollama/manifest.json"));
    for (const auto& e : manifest.at("entries").as_array()) {
        std::string file(e.at("file").as_string());
        bool used = test_sources.find("\"" + file + "\"") != std::string::npos ||
                    test_sources.find("\"ollama/" + file + "\"") != std::string::npos;
        EXPECT_TRUE(used || skipped.count(file)) << file << " is neither exercised nor listed as skipped";
        EXPECT_FALSE(used && skipped.count(file)) << file;
    }
}

// ---- The model's real limits, against an Ollama that behaves like one ----

class OllamaWindowTest : public ::testing::Test {
protected:
    void SetUp() override { plugin_ = builtin_plugin("ollama"); }
    std::unique_ptr<plugin::Instance> make(OllamaSim& sim, const std::string& extra = "") {
        plugin::CallStatus st;
        auto inst = plugin::Instance::create(plugin_,
                                             R"({"url":")" + sim.url() + R"(","model":"qwen2.5:7b")" + extra + "}", st);
        EXPECT_TRUE(st.ok()) << st.message;
        return inst;
    }
    static plugin::CallStatus complete(plugin::Instance& inst, const std::string& req, std::string& out) {
        plugin::CallContext ctx;
        return inst.complete(ctx, req, out);
    }
    std::shared_ptr<plugin::LoadedPlugin> plugin_;
};

TEST_F(OllamaWindowTest, NumCtxIsSentOnEveryCallOneValuePerModelAndNeverAboveTheModelMaximum) {
    OllamaSim sim;  // model maximum 32768, server default 4096
    auto inst = make(sim);
    std::string out;
    ASSERT_TRUE(complete(*inst, chat_request("hi"), out).ok()) << out;
    ASSERT_TRUE(complete(*inst, chat_request("again"), out).ok());
    auto chats = sim.chats();
    ASSERT_EQ(chats.size(), 2u);
    for (const auto& c : chats) {
        EXPECT_TRUE(c.num_ctx_sent);
        EXPECT_EQ(c.num_ctx, 8192);  // the default that fits the audit's batches, not Ollama's 4096
    }
    EXPECT_TRUE(chats[0].reloaded);
    EXPECT_FALSE(chats[1].reloaded);  // the same window: Ollama keeps the model loaded
    EXPECT_NE(out.find("\"context_window\":8192"), std::string::npos) << out;

    OllamaSimProfile small;
    small.model_max_context = 2048;
    OllamaSim tiny(small);
    ASSERT_TRUE(complete(*make(tiny, R"(,"num_ctx":65536)"), chat_request("hi"), out).ok());
    EXPECT_EQ(tiny.chats().at(0).num_ctx, 2048);
    EXPECT_NE(tiny.chats().at(0).request_body.find("\"num_ctx\":2048"), std::string::npos);
}

TEST_F(OllamaWindowTest, ThinkIsOffUnlessTheSettingAsksForIt) {
    OllamaSim sim;
    std::string out;
    ASSERT_TRUE(complete(*make(sim), chat_request("hi"), out).ok());
    EXPECT_TRUE(sim.chats().at(0).think_false);
    ASSERT_TRUE(complete(*make(sim, R"(,"think":true)"), chat_request("hi"), out).ok());
    EXPECT_FALSE(sim.chats().at(1).think_false);
    EXPECT_NE(sim.chats().at(1).request_body.find("\"think\":true"), std::string::npos);
}

TEST_F(OllamaWindowTest, HealthTellsTheHostTheWindowInEffect) {
    OllamaSim sim;
    plugin::CallContext ctx;
    std::string detail;
    ASSERT_TRUE(make(sim, R"(,"num_ctx":6144)")->health(ctx, detail).ok());
    auto d = json::parse(detail).as_object();
    EXPECT_EQ(d.at("model"), "qwen2.5:7b");
    EXPECT_EQ(d.at("context_window"), 6144);
    EXPECT_TRUE(sim.chats().empty());  // health never costs a completion
}

TEST_F(OllamaWindowTest, AnOldServerWithoutModelInfoGetsTheConservativeWindow) {
    OllamaSimProfile old;
    old.report_context_length = false;
    OllamaSim sim(old);
    std::string out;
    ASSERT_TRUE(complete(*make(sim), chat_request("hi"), out).ok());
    EXPECT_EQ(sim.chats().at(0).num_ctx, 4096);
}

TEST_F(OllamaWindowTest, APromptThatOllamaCutIsATypedErrorNeverASuccess) {
    OllamaSim sim;
    std::string big;
    for (int i = 0; i < 400; ++i) big += "setting number " + std::to_string(i) + " is wrong ";
    std::string out;
    auto st = complete(*make(sim, R"(,"num_ctx":512)"), chat_request(big), out);
    ASSERT_TRUE(sim.chats().at(0).truncated);  // the server cut it silently
    EXPECT_EQ(st.code, AUTOARR_ERR_REQUEST_TOO_LARGE) << st.message;
    EXPECT_NE(st.message.find("num_ctx 512"), std::string::npos) << st.message;
    // Streaming sees the same.
    auto r = stream_call(*make(sim, R"(,"num_ctx":512)"), chat_request(big));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_REQUEST_TOO_LARGE) << r.status.message;
}

TEST_F(OllamaWindowTest, SmallOrMissingCountsAfterACacheHitAreNotCuts) {
    for (auto counting : {OllamaSimProfile::Counting::whole_prompt, OllamaSimProfile::Counting::new_tokens_only,
                          OllamaSimProfile::Counting::omitted_on_cache_hit}) {
        SCOPED_TRACE(static_cast<int>(counting));
        OllamaSimProfile p;
        p.counting = counting;
        OllamaSim sim(p);
        auto inst = make(sim, R"(,"num_ctx":1024)");
        std::string prefix;
        for (int i = 0; i < 60; ++i) prefix += "shared instructions " + std::to_string(i) + " ";
        const std::string req =
            R"({"messages":[{"role":"system","content":")" + prefix + R"("},{"role":"user","content":"x"}]})";
        std::string out;
        ASSERT_TRUE(complete(*inst, req, out).ok()) << out;
        auto st = complete(*inst, req, out);  // the whole prompt is in the KV cache now
        EXPECT_TRUE(st.ok()) << st.message;
        EXPECT_GT(sim.chats().at(1).cached_tokens, 0);
    }
}

}  // namespace
}  // namespace autoarr::test
