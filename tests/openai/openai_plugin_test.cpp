// The real openai plugin (dlopen'd from the build tree) against simulated
// llama.cpp, vLLM and OpenRouter servers (tests/support/openai_sim.h) that
// behave like the real ones: windows, one slot, their error shapes, SSE.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "openai_protocol.h"
#include "support/openai_sim.h"
#include "support/provider_harness.h"
#include "support/test_certs.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;
using Flavor = OpenAiSimProfile::Flavor;

struct Streamed {
    plugin::CallStatus status;
    std::string text;
    std::vector<std::string> tool_calls, usage, done;
};

Streamed stream(plugin::Instance& inst, const std::string& request, int stop_after = -1) {
    Streamed r;
    plugin::CallContext ctx;
    int events = 0;
    r.status = inst.stream(ctx, request, [&](uint32_t kind, std::string_view data) {
        if (kind == AUTOARR_EVENT_TEXT_DELTA) r.text.append(data);
        if (kind == AUTOARR_EVENT_TOOL_CALL) r.tool_calls.emplace_back(data);
        if (kind == AUTOARR_EVENT_USAGE) r.usage.emplace_back(data);
        if (kind == AUTOARR_EVENT_DONE) r.done.emplace_back(data);
        return ++events != stop_after;
    });
    return r;
}

const std::string kTools =
    R"(,"tools":[{"name":"get_config","description":"Reads one app's configuration",)"
    R"("parameters":{"type":"object","properties":{"app":{"type":"string"}},"required":["app"]}}])";

class OpenAiTest : public ::testing::Test {
protected:
    void SetUp() override {
        plugin_ = builtin_plugin("openai");
        ASSERT_NE(plugin_, nullptr);
        plugin_->host_context().secret = [this](std::string_view name) -> std::optional<std::string> {
            auto it = secrets_.find(std::string(name));
            return it == secrets_.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
    }
    void TearDown() override { plugin_->host_context().secret = nullptr; }

    std::unique_ptr<plugin::Instance> make(const OpenAiSim& sim, const std::string& extra = "") {
        return instance_of(plugin_, R"({"provider_id":"local","base_url":")" + sim.url() + "\"" + extra + "}");
    }
    static std::string complete(plugin::Instance& inst, const std::string& request, plugin::CallStatus& st) {
        std::string out;
        plugin::CallContext ctx;
        st = inst.complete(ctx, request, out);
        return out;
    }
    static json::object last_body(const OpenAiSim& sim) { return json::parse(sim.chats().back().body).as_object(); }

    std::shared_ptr<plugin::LoadedPlugin> plugin_;
    std::map<std::string, std::string> secrets_;
};

TEST_F(OpenAiTest, WithoutABaseUrlItIsNotConfiguredAndSaysWhatToSet) {
    plugin::CallStatus st;
    auto inst = plugin::Instance::create(plugin_, R"({"provider_id":"openai"})", st);
    EXPECT_FALSE(inst);
    EXPECT_EQ(st.code, AUTOARR_ERR_CONFIG_INVALID);
    EXPECT_NE(st.message.find("openai: not configured"), std::string::npos) << st.message;
    EXPECT_NE(st.message.find("AUTOARR_PROVIDER_OPENAI_BASE_URL"), std::string::npos) << st.message;
    inst = plugin::Instance::create(plugin_, R"({"base_url":"http://127.0.0.1:1","structured_output":"xml"})", st);
    EXPECT_FALSE(inst);
    EXPECT_NE(st.message.find("setting \"structured_output\" must be one of"), std::string::npos) << st.message;
}

TEST_F(OpenAiTest, LlamaCppHealthFindsItsOneModelAndTheServedWindow) {
    OpenAiSim sim;  // llama.cpp, -c 4096
    auto inst = make(sim);
    std::string detail;
    plugin::CallContext ctx;
    ASSERT_TRUE(inst->health(ctx, detail).ok());
    auto h = json::parse(detail).as_object();
    EXPECT_EQ(h.at("status"), "healthy");
    EXPECT_EQ(h.at("model"), "qwen2.5-7b-instruct-q4_k_m.gguf");
    EXPECT_EQ(h.at("context_window"), 4096);  // from /props, not /v1/models' n_ctx_train 32768

    plugin::CallStatus st;
    auto out = json::parse(complete(*inst, chat_request("hello there"), st)).as_object();
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(out.at("content"), "You said: hello there");
    EXPECT_EQ(out.at("finish_reason"), "stop");
    EXPECT_EQ(out.at("request_id"), "chatcmpl-sim42");
    EXPECT_EQ(last_body(sim).at("model"), "qwen2.5-7b-instruct-q4_k_m.gguf");  // the discovered one

    // The prompt cache: the second request shares its prefix and says so.
    complete(*inst, chat_request("hello there, again"), st);
    out = json::parse(complete(*inst, chat_request("hello there, again"), st)).as_object();
    EXPECT_GT(out.at("usage").at("cached_prompt_tokens").as_int64(), 0);
}

TEST_F(OpenAiTest, AWindowThatIsTooSmallIsRequestTooLargeOnLlamaCppAndVllm) {
    OpenAiSimProfile p;
    p.context_window = 64;
    OpenAiSim llama(p);
    auto inst = make(llama);
    plugin::CallStatus st;
    complete(*inst, chat_request(std::string(400, 'x')), st);
    EXPECT_EQ(st.code, AUTOARR_ERR_REQUEST_TOO_LARGE);
    EXPECT_NE(st.message.find("exceeds the available context size (64 tokens)"), std::string::npos) << st.message;

    p.flavor = Flavor::vllm;
    p.model = "Qwen/Qwen2.5-7B-Instruct";
    p.context_window = 1024;
    OpenAiSim vllm(p);
    auto v = make(vllm, R"(,"model":"Qwen/Qwen2.5-7B-Instruct")");
    complete(*v, chat_request("hi", R"(,"max_tokens":2000)"), st);
    EXPECT_EQ(st.code, AUTOARR_ERR_REQUEST_TOO_LARGE);
    EXPECT_NE(st.message.find("maximum context length is 1024 tokens"), std::string::npos) << st.message;
    EXPECT_EQ(st.request_id, "vllm-req-9f2c");

    // A long answer in a small window stops at the window: "length".
    auto out = json::parse(complete(*v, chat_request("a b c d e f g h", R"(,"max_tokens":3)"), st)).as_object();
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(out.at("finish_reason"), "length");
}

TEST_F(OpenAiTest, VllmErrorsAreReadFromItsTopLevelShape) {
    OpenAiSimProfile p;
    p.flavor = Flavor::vllm;
    p.model = "served";
    OpenAiSim sim(p);
    auto inst = make(sim, R"(,"model":"not-served")");
    plugin::CallStatus st;
    complete(*inst, chat_request("hi"), st);
    EXPECT_EQ(st.code, AUTOARR_ERR_NOT_FOUND);
    EXPECT_NE(st.message.find("NotFoundError: The model `not-served` does not exist."), std::string::npos)
        << st.message;
    // Health reports the unserved model as degraded, naming it.
    std::string detail;
    plugin::CallContext ctx;
    ASSERT_TRUE(inst->health(ctx, detail).ok());
    EXPECT_EQ(json::parse(detail).at("status"), "degraded");
}

TEST_F(OpenAiTest, OneSlotServesOneRequestAtATime) {
    OpenAiSimProfile p;
    p.generated_tokens_per_s = 200;
    OpenAiSim sim(p);
    auto inst = make(sim);
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 3; ++i)
        threads.emplace_back([&] {
            plugin::CallStatus st;
            complete(*inst, chat_request("one two three four five six"), st);
            ok += st.ok();
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 3);
    EXPECT_EQ(sim.max_parallel(), 1);
}

TEST_F(OpenAiTest, StructuredOutputIsJsonSchemaWhereTheServerHasItAndJsonObjectWhereNot) {
    OpenAiSim sim;
    auto inst = make(sim);
    const std::string schema = R"(,"format":{"type":"object","properties":{"answer":{"type":"string"}}})";
    plugin::CallStatus st;
    auto out = json::parse(complete(*inst, chat_request("hi", schema), st)).as_object();
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(json::parse(std::string(out.at("content").as_string())).at("answer"), "You said: hi");
    auto rf = last_body(sim).at("response_format").as_object();
    EXPECT_EQ(rf.at("type"), "json_schema");
    EXPECT_EQ(rf.at("json_schema").at("name"), "answer");
    EXPECT_EQ(rf.at("json_schema").at("strict"), true);
    EXPECT_TRUE(inst->capability_flags() & AUTOARR_CAP_JSON_SCHEMA);

    OpenAiSimProfile old;
    old.json_schema = false;
    OpenAiSim old_sim(old);
    auto refused = make(old_sim);
    complete(*refused, chat_request("hi", schema), st);
    EXPECT_EQ(st.code, AUTOARR_ERR_INVALID_ARGUMENT);
    auto plain = make(old_sim, R"(,"structured_output":"json_object")");
    EXPECT_FALSE(plain->capability_flags() & AUTOARR_CAP_JSON_SCHEMA);
    EXPECT_TRUE(plain->capability_flags() & AUTOARR_CAP_JSON_MODE);
    complete(*plain, chat_request("hi", schema), st);
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(last_body(old_sim).at("response_format").at("type"), "json_object");
}

TEST_F(OpenAiTest, StreamsEventByEventWithUsageFromIncludeUsage) {
    OpenAiSim sim;
    auto inst = make(sim);
    auto r = stream(*inst, chat_request("stream this please"));
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    EXPECT_EQ(r.text, "You said: stream this please");
    ASSERT_EQ(r.usage.size(), 1u);
    EXPECT_GT(json::parse(r.usage[0]).at("completion_tokens").as_int64(), 0);
    ASSERT_EQ(r.done.size(), 1u);
    EXPECT_EQ(json::parse(r.done[0]).at("finish_reason"), "stop");
    EXPECT_EQ(last_body(sim).at("stream_options").at("include_usage"), true);

    // A server that refuses stream_options: the setting turns it off.
    OpenAiSimProfile p;
    p.flavor = Flavor::vllm;
    p.model = "m";
    p.refuses_stream_options = true;
    OpenAiSim old(p);
    auto refused = make(old, R"(,"model":"m")");
    r = stream(*refused, chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.status.message.find("extra_forbidden"), std::string::npos) << r.status.message;
    auto without = make(old, R"(,"model":"m","stream_usage":false)");
    r = stream(*without, chat_request("hi"));
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    EXPECT_FALSE(last_body(old).contains("stream_options"));
}

TEST_F(OpenAiTest, AStreamWithoutDoneIsIncompleteAndAStopIsCancelled) {
    OpenAiSim sim;
    auto inst = make(sim);
    sim.drop_next_stream_after(3);
    auto r = stream(*inst, chat_request("one two three four five"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_INVALID_RESPONSE);
    EXPECT_TRUE(r.status.flags & AUTOARR_ERROR_FLAG_INCOMPLETE);
    EXPECT_TRUE(r.status.flags & AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT);
    EXPECT_FALSE(r.text.empty());

    // The host stops after the second event: the one stream-stop contract.
    r = stream(*inst, chat_request("one two three four five"), 2);
    EXPECT_EQ(r.status.code, AUTOARR_ERR_CANCELLED);
    EXPECT_TRUE(r.done.empty());
}

TEST_F(OpenAiTest, ToolCallsComeBackWholeFromAnswersAndStreams) {
    OpenAiSim sim;
    auto inst = make(sim);
    EXPECT_TRUE(inst->capability_flags() & AUTOARR_CAP_TOOLS);
    plugin::CallStatus st;
    auto out = json::parse(complete(*inst, chat_request("use a tool", kTools), st)).as_object();
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(out.at("finish_reason"), "tool_calls");
    const auto& call = out.at("tool_calls").as_array().at(0).as_object();
    EXPECT_EQ(call.at("id"), "call_7");
    EXPECT_EQ(call.at("name"), "get_config");
    EXPECT_EQ(call.at("arguments").at("app"), "sabnzbd");
    auto sent = last_body(sim);
    EXPECT_EQ(sent.at("tools").at(0).at("type"), "function");
    EXPECT_EQ(sent.at("tools").at(0).at("function").at("name"), "get_config");

    // Streamed, the fragments are assembled into one whole call.
    auto r = stream(*inst, chat_request("use a tool", kTools));
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    ASSERT_EQ(r.tool_calls.size(), 1u);
    auto streamed = json::parse(r.tool_calls[0]).as_object();
    EXPECT_EQ(streamed.at("arguments").at("app"), "sabnzbd");
    EXPECT_EQ(json::parse(r.done[0]).at("finish_reason"), "tool_calls");

    // The tool's result goes back as a tool message, and the assistant's call with it.
    const std::string follow_up =
        R"({"messages":[{"role":"user","content":"use a tool"},)"
        R"({"role":"assistant","content":"","tool_calls":[{"id":"call_7","name":"get_config","arguments":{"app":"sabnzbd"}}]},)"
        R"({"role":"tool","tool_call_id":"call_7","content":"port 8080"}])" +
        kTools + "}";
    out = json::parse(complete(*inst, follow_up, st)).as_object();
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(out.at("content"), "The tool said: port 8080");
    sent = last_body(sim);
    EXPECT_EQ(sent.at("messages").at(1).at("tool_calls").at(0).at("function").at("arguments"), R"({"app":"sabnzbd"})");
    EXPECT_EQ(sent.at("messages").at(2).at("tool_call_id"), "call_7");

    // A tool message that names no call is refused, never sent.
    complete(*inst, R"({"messages":[{"role":"tool","content":"x"}]})", st);
    EXPECT_EQ(st.code, AUTOARR_ERR_INVALID_ARGUMENT);
    EXPECT_NE(st.message.find("tool_call_id"), std::string::npos);
}

TEST_F(OpenAiTest, HttpStatusesMapToTheSdkCodesWithRetryAfter) {
    OpenAiSim sim;
    auto inst = make(sim);
    struct Case {
        int status;
        int32_t code;
        bool retryable;
    };
    const Case cases[] = {{401, AUTOARR_ERR_AUTH_FAILED, false},      {403, AUTOARR_ERR_PERMISSION_DENIED, false},
                          {404, AUTOARR_ERR_NOT_FOUND, false},        {408, AUTOARR_ERR_DEADLINE_EXCEEDED, true},
                          {409, AUTOARR_ERR_BACKEND_ERROR, true},     {413, AUTOARR_ERR_REQUEST_TOO_LARGE, false},
                          {422, AUTOARR_ERR_INVALID_ARGUMENT, false}, {429, AUTOARR_ERR_RATE_LIMITED, true},
                          {500, AUTOARR_ERR_BACKEND_ERROR, true},     {503, AUTOARR_ERR_UNAVAILABLE, true}};
    for (const auto& c : cases) {
        SCOPED_TRACE(c.status);
        sim.fail_next(c.status,
                      R"({"error":{"message":"as asked","type":"t","code":)" + std::to_string(c.status) + "}}",
                      {{"Retry-After", "7"}});
        plugin::CallStatus st;
        complete(*inst, chat_request("hi"), st);
        EXPECT_EQ(st.code, c.code) << st.message;
        EXPECT_EQ(st.http_status, c.status);
        EXPECT_EQ((st.flags & AUTOARR_ERROR_FLAG_RETRYABLE) != 0, c.retryable);
        EXPECT_EQ(st.retry_after_ms, 7000);
        EXPECT_NE(st.message.find("local: HTTP " + std::to_string(c.status) + " t: as asked"), std::string::npos)
            << st.message;
    }
    // A body that is not JSON is described, not quoted whole.
    sim.fail_next(502, "<html>" + std::string(10000, 'x') + "</html>");
    plugin::CallStatus st;
    complete(*inst, chat_request("hi"), st);
    EXPECT_EQ(st.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_LT(st.message.size(), 400u);
}

TEST_F(OpenAiTest, OpenRouterHealthProvesTheKeyAndStreamsCarryCommentsCostAndErrors) {
    OpenAiSimProfile p;
    p.flavor = Flavor::openrouter;
    p.model = "meta-llama/llama-3.1-8b-instruct";
    p.api_key = "sk-or-v1-test";
    p.context_window = 131072;
    OpenAiSim sim(p);
    const std::string settings = R"(,"model":"meta-llama/llama-3.1-8b-instruct","health_check":"key")";
    // No key: health fails as an auth failure, without a call that could be billed.
    auto no_key = make(sim, settings);
    std::string detail;
    plugin::CallContext ctx;
    auto st = no_key->health(ctx, detail);
    EXPECT_EQ(st.code, AUTOARR_ERR_AUTH_FAILED);
    EXPECT_NE(st.message.find("AUTOARR_PROVIDER_LOCAL_API_KEY"), std::string::npos) << st.message;
    // A wrong key: /v1/models would pass (it is public); /v1/key does not.
    secrets_["local.api_key"] = "sk-or-v1-wrong";
    auto wrong = make(sim, settings);
    EXPECT_EQ(wrong->health(ctx, detail).code, AUTOARR_ERR_AUTH_FAILED);
    secrets_["local.api_key"] = "sk-or-v1-test";
    auto inst = make(sim, settings);
    ASSERT_TRUE(inst->health(ctx, detail).ok()) << detail;
    EXPECT_EQ(sim.server().requests().back().target, "/v1/key");
    EXPECT_EQ(sim.server().requests().back().headers.at("authorization"), "Bearer sk-or-v1-test");

    plugin::CallStatus cst;
    auto out = json::parse(complete(*inst, chat_request("hi"), cst)).as_object();
    ASSERT_TRUE(cst.ok()) << cst.message;
    EXPECT_GT(out.at("cost").at("amount").as_double(), 0);
    EXPECT_EQ(out.at("request_id"), "gen-1733000000-abcdef");

    auto r = stream(*inst, chat_request("comments are skipped here"));
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    EXPECT_EQ(r.text, "You said: comments are skipped here");

    sim.error_in_next_stream();
    r = stream(*inst, chat_request("one two three four"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_NE(r.status.message.find("Provider returned error"), std::string::npos) << r.status.message;
    EXPECT_TRUE(r.status.flags & AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT);
}

// health_check "auto" (the default) proves the key at OpenRouter, whose model
// list is public, and lists the models anywhere else.
TEST_F(OpenAiTest, AutoHealthChecksTheKeyAtOpenRouterAndTheModelsElsewhere) {
    plugin::CallContext ctx;
    std::string detail;
    // No key at openrouter.ai: the key check fails at once, before any network call
    // (this machine has no route there, so a call would be a transport error instead).
    auto router = instance_of(plugin_, R"({"provider_id":"openrouter","base_url":"https://openrouter.ai/api"})");
    auto st = router->health(ctx, detail);
    EXPECT_EQ(st.code, AUTOARR_ERR_AUTH_FAILED) << st.message;
    EXPECT_NE(st.message.find("AUTOARR_PROVIDER_OPENROUTER_API_KEY"), std::string::npos) << st.message;
    // Elsewhere, also without a key, health is the model list.
    OpenAiSim llama;
    auto local = make(llama);
    ASSERT_TRUE(local->health(ctx, detail).ok()) << detail;
    std::vector<std::string> asked;
    for (const auto& req : llama.server().requests()) asked.push_back(req.target);
    EXPECT_EQ(asked, (std::vector<std::string>{"/v1/models", "/props"}));  // llama.cpp's served window is in /props
}

TEST_F(OpenAiTest, TlsIsAlwaysVerifiedAndAKeyNeverGoesOutInClear) {
    TestCerts certs;
    FixtureServer tls(FixtureServer::Tls{certs.path("server.pem"), certs.path("server.key")});
    tls.on("GET", "/v1/models",
           [](const ReceivedRequest&) { return body_response(200, R"({"object":"list","data":[{"id":"m"}]})"); });
    auto trusted = instance_of(plugin_, R"({"base_url":")" + tls.url() + R"(","ca_file":")" + certs.ca() + "\"}");
    std::string detail;
    plugin::CallContext ctx;
    EXPECT_TRUE(trusted->health(ctx, detail).ok()) << detail;
    // Without our CA the system store does not know the certificate: refused, never skipped.
    auto untrusted = instance_of(plugin_, R"({"base_url":")" + tls.url() + "\"}");
    auto st = untrusted->health(ctx, detail);
    EXPECT_EQ(st.code, AUTOARR_ERR_UNAVAILABLE);

    secrets_["openai.api_key"] = "sk-live";
    plugin::CallStatus cst;
    auto refused =
        plugin::Instance::create(plugin_, R"({"provider_id":"openai","base_url":"http://10.1.2.3:8080"})", cst);
    EXPECT_FALSE(refused);
    EXPECT_EQ(cst.code, AUTOARR_ERR_CONFIG_INVALID);
    EXPECT_NE(cst.message.find("plain http"), std::string::npos) << cst.message;
}

// OpenAI's finish reasons as ABI 1.1's: content_filter (Azure, OpenAI's
// moderation) and tool_calls are their own; llama.cpp's older "eos" is a stop.
TEST(OpenAiProtocol, FinishReasonsMapToTheAbis) {
    EXPECT_EQ(openai::normalise_finish_reason("stop"), "stop");
    EXPECT_EQ(openai::normalise_finish_reason("eos"), "stop");
    EXPECT_EQ(openai::normalise_finish_reason("length"), "length");
    EXPECT_EQ(openai::normalise_finish_reason("tool_calls"), "tool_calls");
    EXPECT_EQ(openai::normalise_finish_reason("function_call"), "tool_calls");
    EXPECT_EQ(openai::normalise_finish_reason("content_filter"), "content_filter");
    EXPECT_EQ(openai::normalise_finish_reason("error"), "error");  // OpenRouter's mid-stream error
}

// Found by the openai_stream fuzzer: an error body whose message is empty
// (or not text) gave an error that said nothing.
TEST(OpenAiProtocol, AnErrorAlwaysSaysSomething) {
    for (const char* body : {R"({"error":{"message":""}})", R"({"error":{"message":7}})", R"({"error":""})",
                             R"({"message":""})", "", "<html>"}) {
        SCOPED_TRACE(body);
        EXPECT_FALSE(openai::parse_error(body).message.empty());
    }
}

}  // namespace
}  // namespace autoarr::test
