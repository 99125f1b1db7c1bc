// The real Claude plugin (dlopen'd from the build tree) over TLS against a
// fixture server serving tests/fixtures/anthropic byte for byte.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <thread>

#include "support/fixture_server.h"
#include "support/manifest_fixtures.h"
#include "support/provider_harness.h"
#include "support/test_certs.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const char* kKey = "sk-ant-test-0123456789";

const ManifestFixtures& fixtures() {
    static const ManifestFixtures f("anthropic");
    return f;
}
json::object entry(const std::string& file) {
    return fixtures().entry(file);
}
FixtureResponse from_manifest(const std::string& file) {
    return fixtures().response(file);
}
std::string exp_str(const std::string& file, const char* key) {
    return fixtures().expected(file, key);
}

class ClaudeTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { certs_ = new TestCerts(); }
    static void TearDownTestSuite() { delete certs_; }

    void SetUp() override {
        plugin_ = builtin_plugin("claude");
        ASSERT_NE(plugin_, nullptr);
        key_ = kKey;
        plugin_->host_context().secret = [this](std::string_view name) -> std::optional<std::string> {
            if (name == "claude.api_key" && !key_.empty()) return key_;
            return std::nullopt;
        };
        server_ =
            std::make_unique<FixtureServer>(FixtureServer::Tls{certs_->path("server.pem"), certs_->path("server.key")});
    }
    void TearDown() override { plugin_->host_context().secret = nullptr; }

    std::unique_ptr<plugin::Instance> make(const std::string& url = "", const std::string& ca = "") {
        plugin::CallStatus st;
        auto inst = plugin::Instance::create(plugin_,
                                             R"({"base_url":")" + (url.empty() ? server_->url() : url) +
                                                 R"(","ca_file":")" + (ca.empty() ? certs_->ca() : ca) +
                                                 R"(","model":"claude-sonnet-4-5-20250929"})",
                                             st);
        EXPECT_TRUE(st.ok()) << st.message;
        return inst;
    }
    void serve(const std::string& file) {
        server_->on("POST", "/v1/messages", [file](const ReceivedRequest&) { return from_manifest(file); });
    }
    plugin::CallStatus complete(plugin::Instance& inst, std::string& out,
                                const std::string& req = chat_request("Why is the sky blue?")) {
        plugin::CallContext ctx;
        return inst.complete(ctx, req, out);
    }

    static inline TestCerts* certs_ = nullptr;
    std::shared_ptr<plugin::LoadedPlugin> plugin_;
    std::string key_;
    std::unique_ptr<FixtureServer> server_;
};

TEST_F(ClaudeTest, SendsTheRequiredHeadersAndBody) {
    serve("message_nonstream.json");
    std::string out;
    auto st = complete(*make(), out,
                       R"({"messages":[{"role":"system","content":"be brief"},{"role":"system","content":"be kind"},
                          {"role":"user","content":"hi"}],"temperature":0.3,"stop":["END"]})");
    ASSERT_TRUE(st.ok()) << st.message;
    auto req = server_->requests().back();
    EXPECT_EQ(req.headers.at("x-api-key"), kKey);
    EXPECT_EQ(req.headers.at("anthropic-version"), "2023-06-01");
    EXPECT_EQ(req.headers.at("content-type"), "application/json");
    auto body = json::parse(req.body).as_object();
    EXPECT_EQ(body.at("max_tokens"), 4096);  // always set
    EXPECT_EQ(body.at("system"), "be brief\n\nbe kind");
    EXPECT_EQ(body.at("messages").as_array().size(), 1u);
    EXPECT_EQ(body.at("stop_sequences").as_array()[0], "END");
    EXPECT_FALSE(body.contains("stream"));
}

// Two instances of the plugin (say two Anthropic accounts): each sends its own
// key, "<provider id>.api_key", and one without a key never borrows the other's.
TEST_F(ClaudeTest, EachInstanceSendsOnlyItsOwnKey) {
    plugin_->host_context().secret = [](std::string_view name) -> std::optional<std::string> {
        if (name == "claude.api_key") return std::string(kKey);
        if (name == "claude-b.api_key") return std::string("sk-ant-second-account");
        return std::nullopt;
    };
    serve("message_nonstream.json");
    auto instance = [&](const std::string& id) {
        plugin::CallStatus st;
        auto inst = plugin::Instance::create(plugin_,
                                             R"({"provider_id":")" + id + R"(","base_url":")" + server_->url() +
                                                 R"(","ca_file":")" + certs_->ca() + R"("})",
                                             st);
        EXPECT_TRUE(st.ok()) << st.message;
        return inst;
    };
    std::string out;
    ASSERT_TRUE(complete(*instance("claude-b"), out).ok());
    EXPECT_EQ(server_->requests().back().headers.at("x-api-key"), "sk-ant-second-account");
    ASSERT_TRUE(complete(*instance("claude"), out).ok());
    EXPECT_EQ(server_->requests().back().headers.at("x-api-key"), kKey);
    plugin::CallContext ctx;
    std::string detail;
    const std::size_t before = server_->connections();
    EXPECT_EQ(instance("claude-c")->health(ctx, detail).code, AUTOARR_ERR_CONFIG_INVALID);  // no key of its own
    EXPECT_EQ(server_->connections(), before);
}

TEST_F(ClaudeTest, OtherRolesAreRejectedNotDropped) {
    std::string out;
    auto st =
        complete(*make(), out, R"({"messages":[{"role":"function","content":"x"},{"role":"user","content":"hi"}]})");
    EXPECT_EQ(st.code, AUTOARR_ERR_INVALID_ARGUMENT);
    EXPECT_NE(st.message.find("role \"function\""), std::string::npos);
    EXPECT_TRUE(server_->requests().empty());
}

TEST_F(ClaudeTest, NonStreamMessages) {
    struct Case {
        std::string file, finish;
    };
    for (const auto& c : std::vector<Case>{{"message_nonstream.json", "stop"},
                                           {"message_max_tokens.json", "length"},
                                           {"message_stop_sequence.json", "stop"},
                                           {"message_utf8.json", "stop"},
                                           {"message_json_fenced.json", "stop"}}) {
        SCOPED_TRACE(c.file);
        serve(c.file);
        std::string out;
        auto st = complete(*make(), out);
        ASSERT_TRUE(st.ok()) << st.message;
        auto o = json::parse(out).as_object();
        EXPECT_EQ(o.at("finish_reason").as_string(), c.finish);
        auto e = entry(c.file).at("expected").as_object();
        if (e.contains("text")) {
            EXPECT_EQ(o.at("content").as_string(), e.at("text").as_string());
        }
        if (e.contains("stop_reason")) {
            EXPECT_EQ(o.at("raw_finish_reason"), e.at("stop_reason"));
        }
        if (e.contains("stop_sequence")) {
            EXPECT_EQ(o.at("stop_sequence"), e.at("stop_sequence"));
        }
    }
}

TEST_F(ClaudeTest, StreamsAssembleTheExpectedText) {
    for (std::string file :
         {"stream_basic.sse", "stream_basic_padded.sse", "stream_basic_crlf.sse", "stream_utf8.sse",
          "stream_utf8_escaped.sse", "stream_json_fenced.sse", "stream_thinking_and_unknown_event.sse"}) {
        SCOPED_TRACE(file);
        serve(file);
        auto r = stream_call(*make(), chat_request("hi"));
        ASSERT_TRUE(r.status.ok()) << r.status.message;
        auto e = entry(file).at("expected").as_object();
        if (e.contains("text")) {
            EXPECT_EQ(r.text, e.at("text").as_string());
        }
        if (e.contains("json_inside_fence")) {
            auto open = r.text.find("```json"), close = r.text.rfind("```");
            ASSERT_NE(open, std::string::npos);
            EXPECT_EQ(json::parse(r.text.substr(open + 7, close - open - 7)), e.at("json_inside_fence"));
        }
        ASSERT_EQ(r.done.size(), 1u);
        EXPECT_EQ(json::parse(server_->requests().back().body).at("stream"), true);
    }
}

// ABI 1.1 tools through the loaded plugin: the capability, tools out as
// input_schema, a tool_use answer as tool_calls, and a streamed tool_use (its
// input in input_json_delta fragments, as Anthropic streams it) as one
// tool_call event once its block stops.
TEST_F(ClaudeTest, ToolsCrossTheLoadedPluginPlainAndStreamed) {
    auto inst = make();
    ASSERT_TRUE(inst->capability_flags() & AUTOARR_CAP_TOOLS);
    const std::string tools = R"(,"tools":[{"name":"get_config","parameters":{"type":"object"}}])";
    server_->on("POST", "/v1/messages", [](const ReceivedRequest&) {
        return body_response(
            200,
            R"({"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[)"
            R"({"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_01","name":"get_config",)"
            R"("input":{"app":"sabnzbd"}}],"stop_reason":"tool_use","stop_sequence":null,)"
            R"("usage":{"input_tokens":20,"output_tokens":9}})");
    });
    std::string out;
    auto st = complete(*inst, out, chat_request("use a tool", tools));
    ASSERT_TRUE(st.ok()) << st.message;
    auto o = json::parse(out).as_object();
    EXPECT_EQ(o.at("finish_reason"), "tool_calls");
    EXPECT_EQ(o.at("tool_calls").at(0).at("id"), "toolu_01");
    EXPECT_EQ(o.at("tool_calls").at(0).at("arguments").at("app"), "sabnzbd");
    auto sent = json::parse(server_->requests().back().body).as_object();
    EXPECT_EQ(sent.at("tools").at(0).at("input_schema").at("type"), "object");

    const std::string sse =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_02\",\"type\":"
        "\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5-20250929\","
        "\"stop_reason\":null,\"usage\":{\"input_tokens\":20,\"output_tokens\":1}}}\n\n"
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        "{\"type\":\"tool_use\",\"id\":\"toolu_02\",\"name\":\"get_config\",\"input\":{}}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
        "{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"app\\\": \\\"son\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
        "{\"type\":\"input_json_delta\",\"partial_json\":\"arr\\\"}\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
        "\"stop_sequence\":null},\"usage\":{\"output_tokens\":12}}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    server_->on("POST", "/v1/messages",
                [sse](const ReceivedRequest&) { return body_response(200, sse, "text/event-stream", true); });
    std::vector<std::string> calls, done;
    plugin::CallContext ctx;
    st = inst->stream(ctx, chat_request("use a tool", tools), [&](uint32_t kind, std::string_view data) {
        if (kind == AUTOARR_EVENT_TOOL_CALL) calls.emplace_back(data);
        if (kind == AUTOARR_EVENT_DONE) done.emplace_back(data);
        return true;
    });
    ASSERT_TRUE(st.ok()) << st.message;
    ASSERT_EQ(calls.size(), 1u);
    const auto call = json::parse(calls[0]).as_object();
    EXPECT_EQ(call.at("id"), "toolu_02");
    EXPECT_EQ(call.at("name"), "get_config");
    EXPECT_EQ(call.at("arguments").at("app"), "sonarr");
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(json::parse(done[0]).at("finish_reason"), "tool_calls");
}

TEST_F(ClaudeTest, StreamUsageIsCumulativeOverwriteNotSum) {
    serve("stream_basic.sse");
    auto r = stream_call(*make(), chat_request("hi"));
    ASSERT_TRUE(r.status.ok());
    auto e = entry("stream_basic.sse").at("expected").as_object();
    ASSERT_EQ(r.usage.size(), 1u);
    auto u = json::parse(r.usage[0]).as_object();
    EXPECT_EQ(u.at("prompt_tokens"), e.at("input_tokens"));
    EXPECT_EQ(u.at("completion_tokens"), e.at("output_tokens"));
    EXPECT_NE(r.done[0].find("\"raw_finish_reason\":\"end_turn\""), std::string::npos);
}

TEST_F(ClaudeTest, ChunkHostileDeliveryPlans) {
    for (std::string file : {"stream_basic.chunk_hostile.sse", "stream_utf8.sse"}) {
        auto inst = make();
        expect_every_plan_reassembles(*server_, "/v1/messages", fixtures(), file, "text", *inst);
    }
}

TEST_F(ClaudeTest, ErrorEventsInsideA200Stream) {
    serve("stream_midstream_overloaded.sse");
    auto r = stream_call(*make(), chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_TRUE(r.status.flags & AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT);
    EXPECT_EQ(r.text, exp_str("stream_midstream_overloaded.sse", "partial_text"));
    EXPECT_NE(r.status.message.find("overloaded_error"), std::string::npos);

    serve("stream_midstream_api_error.sse");
    r = stream_call(*make(), chat_request("hi"));
    EXPECT_NE(r.status.message.find("api_error"), std::string::npos);
    EXPECT_EQ(r.text, exp_str("stream_midstream_api_error.sse", "partial_text"));

    serve("stream_error_first_event.sse");
    r = stream_call(*make(), chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_FALSE(r.status.flags & AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT);  // the router may still fall back
    EXPECT_TRUE(r.status.flags & AUTOARR_ERROR_FLAG_RETRYABLE);
    EXPECT_EQ(r.text, "");
}

TEST_F(ClaudeTest, TruncatedStreamIsIncomplete) {
    serve("stream_truncated.sse");
    auto r = stream_call(*make(), chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_INVALID_RESPONSE);
    EXPECT_TRUE(r.status.flags & AUTOARR_ERROR_FLAG_INCOMPLETE);
    EXPECT_TRUE(r.done.empty());
}

TEST_F(ClaudeTest, HttpErrorsByStatusAndType) {
    struct Case {
        std::string file;
        int32_t code;
        bool retryable;
    };
    const std::vector<Case> cases = {
        {"errors/400_invalid_request_error.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/400_missing_anthropic_version.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/400_prompt_too_long.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/400_credit_balance.json", AUTOARR_ERR_INVALID_ARGUMENT, false},
        {"errors/401_authentication_error.json", AUTOARR_ERR_AUTH_FAILED, false},
        {"errors/403_permission_error.json", AUTOARR_ERR_AUTH_FAILED, false},
        {"errors/404_not_found_error.json", AUTOARR_ERR_NOT_FOUND, false},
        {"errors/413_request_too_large.json", AUTOARR_ERR_REQUEST_TOO_LARGE, false},
        {"errors/429_rate_limit_error.json", AUTOARR_ERR_RATE_LIMITED, true},
        {"errors/500_api_error.json", AUTOARR_ERR_BACKEND_ERROR, true},
        {"errors/504_timeout_error.json", AUTOARR_ERR_BACKEND_ERROR, true},
        {"errors/529_overloaded_error.json", AUTOARR_ERR_BACKEND_ERROR, true},
        {"errors/529_overloaded_should_retry_false.json", AUTOARR_ERR_BACKEND_ERROR, false},  // x-should-retry wins
        {"errors/400_should_retry_true.json", AUTOARR_ERR_INVALID_ARGUMENT, true},
        {"errors/502_proxy_html.html", AUTOARR_ERR_BACKEND_ERROR, true},
    };
    auto inst = make();
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        serve(c.file);
        std::string out;
        auto st = complete(*inst, out);
        EXPECT_EQ(st.code, c.code) << st.message;
        EXPECT_EQ(bool(st.flags & AUTOARR_ERROR_FLAG_RETRYABLE), c.retryable) << st.message;
        EXPECT_EQ(st.http_status, entry(c.file).at("status").as_int64());
        auto headers = entry(c.file).at("headers").as_object();
        if (headers.contains("request-id")) {
            EXPECT_NE(st.message.find(std::string(headers.at("request-id").as_string())), std::string::npos)
                << st.message;
        }
        auto e = entry(c.file).at("expected").as_object();
        if (e.contains("error_type")) {
            EXPECT_NE(st.message.find(std::string(e.at("error_type").as_string())), std::string::npos) << st.message;
        }
        EXPECT_EQ(st.message.find(kKey), std::string::npos);  // the key never appears
        if (c.code == AUTOARR_ERR_AUTH_FAILED) {
            EXPECT_TRUE(st.flags & AUTOARR_ERROR_FLAG_AUTH_FAILED);
        }
        auto r = stream_call(*inst, chat_request("hi"));  // same mapping before the stream starts
        EXPECT_EQ(r.status.code, c.code);
    }
    serve("errors/429_rate_limit_error.json");
    std::string out;
    EXPECT_EQ(complete(*inst, out).retry_after_ms, 12000);
    serve("errors/502_proxy_html.html");
    EXPECT_NE(complete(*inst, out).message.find("non-JSON body"), std::string::npos);
}

TEST_F(ClaudeTest, HealthWithoutAKeyMakesNoNetworkCall) {
    key_.clear();
    auto inst = make();
    plugin::CallContext ctx;
    std::string detail;
    auto st = inst->health(ctx, detail);
    EXPECT_EQ(st.code, AUTOARR_ERR_CONFIG_INVALID);
    EXPECT_NE(st.message.find("API key not configured"), std::string::npos);
    EXPECT_EQ(server_->connections(), 0u);
}

TEST_F(ClaudeTest, HealthUsesTheCheapModelsCall) {
    server_->on("GET", "/v1/models", [](const ReceivedRequest&) { return from_manifest("models_list_limit1.json"); });
    auto inst = make();
    plugin::CallContext ctx;
    std::string detail;
    ASSERT_TRUE(inst->health(ctx, detail).ok());
    EXPECT_EQ(json::parse(detail).at("status"), "healthy");
    auto req = server_->requests().back();
    EXPECT_EQ(req.target, "/v1/models?limit=1");
    EXPECT_EQ(req.headers.at("x-api-key"), kKey);

    server_->on("GET", "/v1/models", [](const ReceivedRequest&) { return from_manifest("models_list.json"); });
    std::string models;
    ASSERT_TRUE(inst->list_models(ctx, models).ok());
    auto ids = json::parse(models).at("models").as_array();
    auto want = entry("models_list.json").at("expected").at("ids").as_array();
    ASSERT_EQ(ids.size(), want.size());
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i].at("id"), want[i]);

    server_->on("GET", "/v1/models", [](const ReceivedRequest&) {
        auto r = from_manifest("errors/401_authentication_error.json");
        return r;
    });
    auto st = inst->health(ctx, detail);
    EXPECT_EQ(st.code, AUTOARR_ERR_AUTH_FAILED);
}

TEST_F(ClaudeTest, KeepAliveReusesOneTlsConnection) {
    serve("message_nonstream.json");
    auto inst = make();
    for (int i = 0; i < 5; ++i) {
        std::string out;
        ASSERT_TRUE(complete(*inst, out).ok());
    }
    EXPECT_EQ(server_->connections(), 1u);
}

TEST_F(ClaudeTest, WrongHostNameAndUntrustedCaAreRefused) {
    for (std::string name : {"wrong-host", "untrusted"}) {
        SCOPED_TRACE(name);
        FixtureServer bad(FixtureServer::Tls{certs_->path(name + ".pem"), certs_->path(name + ".key")});
        bad.on("POST", "/v1/messages", [](const ReceivedRequest&) { return from_manifest("message_nonstream.json"); });
        auto inst = make(bad.url());
        std::string out;
        auto st = complete(*inst, out);
        EXPECT_EQ(st.code, AUTOARR_ERR_UNAVAILABLE);
        EXPECT_NE(st.message.find("TLS handshake"), std::string::npos) << st.message;
        EXPECT_TRUE(bad.requests().empty());  // nothing, not even the key, was sent
    }
}

TEST_F(ClaudeTest, PlainHttpOnlyForLoopback) {
    plugin::CallStatus st;
    EXPECT_EQ(plugin::Instance::create(plugin_, R"({"base_url":"http://api.example.com"})", st), nullptr);
    EXPECT_EQ(st.code, AUTOARR_ERR_CONFIG_INVALID);
    EXPECT_NE(st.message.find("use https"), std::string::npos);
    FixtureServer plain;
    plain.on("POST", "/v1/messages", [](const ReceivedRequest&) { return from_manifest("message_nonstream.json"); });
    auto inst = plugin::Instance::create(plugin_, R"({"base_url":")" + plain.url() + "\"}", st);
    ASSERT_TRUE(st.ok()) << st.message;
    std::string out;
    EXPECT_TRUE(complete(*inst, out).ok());
}

TEST_F(ClaudeTest, BadCaFileIsAConfigError) {
    plugin::CallStatus st;
    EXPECT_EQ(plugin::Instance::create(plugin_, R"({"ca_file":"/nonexistent/ca.pem"})", st), nullptr);
    EXPECT_EQ(st.code, AUTOARR_ERR_CONFIG_INVALID);
    EXPECT_NE(st.message.find("/nonexistent/ca.pem"), std::string::npos);
}

TEST_F(ClaudeTest, CancellationAndDeadline) {
    server_->on("POST", "/v1/messages", [](const ReceivedRequest&) {
        FixtureResponse r;
        r.hang = true;
        return r;
    });
    auto inst = make();
    plugin::CancelToken token;
    std::thread t([&] {
        std::this_thread::sleep_for(50ms);
        token.cancel();
    });
    auto r = stream_call(*inst, chat_request("hi"), 0, &token);
    t.join();
    EXPECT_EQ(r.status.code, AUTOARR_ERR_CANCELLED);
    auto t0 = std::chrono::steady_clock::now();
    r = stream_call(*inst, chat_request("hi"), plugin::monotonic_now_ns() + 200'000'000);
    EXPECT_EQ(r.status.code, AUTOARR_ERR_DEADLINE_EXCEEDED);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(ClaudeManifest, EveryFixtureIsAccountedFor) {
    // SKIP-LIST-BEGIN
    const std::set<std::string> skipped = {// Endpoints this client does not call (single model lookup, token counting),
                                           // and the retry vectors, checked by claude_protocol_test.
                                           "model_get.json", "count_tokens.json"};
    // SKIP-LIST-END
    std::string sources = fixture_bytes("../claude/claude_plugin_test.cpp");
    sources.erase(sources.find("// SKIP-LIST-BEGIN"),
                  sources.find("// SKIP-LIST-END") - sources.find("// SKIP-LIST-BEGIN"));
    const json::value manifest = json::parse(fixture_bytes("anthropic/manifest.json"));  // outlives the loop
    for (const auto& e : manifest.at("entries").as_array()) {
        std::string file(e.at("file").as_string());
        bool used = sources.find("\"" + file + "\"") != std::string::npos;
        EXPECT_TRUE(used || skipped.count(file)) << file << " is neither exercised nor listed as skipped";
    }
}

TEST_F(ClaudeTest, AModelThatRefusesStructuredOutputsGetsTheSchemaInThePromptOnce) {
    std::atomic<int> calls{0};
    server_->on("POST", "/v1/messages", [&](const ReceivedRequest& req) {
        ++calls;
        if (req.body.find("\"output_config\"") != std::string::npos) {
            FixtureResponse r;
            r.status = 400;
            r.headers = {{"content-type", "application/json"}};
            r.body = R"({"type":"error","error":{"type":"invalid_request_error",)"
                     R"("message":"output_config.format: this model does not support structured outputs"}})";
            return r;
        }
        return from_manifest("message_nonstream.json");
    });
    auto inst = make();  // claude-sonnet-4-5-20250929: structured outputs are tried first
    const std::string req = R"({"messages":[{"role":"user","content":"x"}],"format":{"type":"object"}})";
    std::string out;
    plugin::CallContext ctx;
    ASSERT_TRUE(inst->complete(ctx, req, out).ok()) << out;
    EXPECT_EQ(calls.load(), 2);
    auto sent = server_->requests();
    EXPECT_NE(sent[0].body.find("\"output_config\""), std::string::npos);
    EXPECT_EQ(sent[1].body.find("\"output_config\""), std::string::npos);
    EXPECT_NE(sent[1].body.find("JSON Schema"), std::string::npos);
    ASSERT_TRUE(inst->complete(ctx, req, out).ok());
    EXPECT_EQ(calls.load(), 3);  // remembered: no second refusal
}

}  // namespace
}  // namespace autoarr::test
