#include "claude_protocol.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/fixture_server.h"

namespace autoarr::claude {
namespace {

namespace json = boost::json;

// The Python SDK's retry-after vectors: a value it honours must come through
// unchanged; one it replaces with its own backoff must give nullopt, so that
// our router's (identical) backoff applies.
TEST(ClaudeProtocol, RetryAfterVectors) {
    auto v = json::parse(test::fixture_bytes("anthropic/retry_after_vectors.json")).as_object();
    const int64_t now = v.at("now_epoch").as_int64();
    int checked = 0;
    for (const auto& c : v.at("cases").as_array()) {
        const auto& o = c.as_object();
        std::string ra(o.at("retry_after").as_string());
        double want = o.at("expected_seconds").to_number<double>();
        // The SDK's own backoff for this case (max_retries 3): min(0.5 * 2^n, 8), n = retries taken.
        const int64_t n = 3 - o.at("remaining_retries").as_int64();
        const double backoff = std::min(0.5 * double(1 << n), 8.0);
        const bool honoured = want != backoff;
        auto got = retry_after_ms(nullptr, &ra, now);
        SCOPED_TRACE(ra);
        if (honoured) {
            ASSERT_TRUE(got.has_value());
            EXPECT_NEAR(*got / 1000.0, want, 0.001);
        } else {
            EXPECT_FALSE(got.has_value());
        }
        ++checked;
    }
    EXPECT_GE(checked, 5);
    std::string ms = "1500";
    std::string secs = "20";
    EXPECT_EQ(retry_after_ms(&ms, &secs, now), 1500);  // retry-after-ms wins
}

// Found by fuzzing (tests/fuzz/claude_errors_fuzz.cpp): "retry-after-ms: 0.5"
// gave 0 ms, "retry at once", where a wait in (0, 60 s] is honoured.
TEST(ClaudeProtocol, RetryAfterBelowAMillisecondIsRoundedUp) {
    const std::string half = "0.5", tiny = "0.0001", secs = "0.0004";
    EXPECT_EQ(retry_after_ms(&half, nullptr, 0), 1);
    EXPECT_EQ(retry_after_ms(&tiny, nullptr, 0), 1);
    EXPECT_EQ(retry_after_ms(nullptr, &secs, 0), 1);
    const std::string zero = "0", top = "60000", over = "60001";
    EXPECT_EQ(retry_after_ms(&zero, nullptr, 0), std::nullopt);
    EXPECT_EQ(retry_after_ms(&top, nullptr, 0), 60000);
    EXPECT_EQ(retry_after_ms(&over, nullptr, 0), std::nullopt);
}

TEST(ClaudeProtocol, SseDecoderLineEndingsCommentsAndMultiData) {
    for (std::string nl : {"\n", "\r\n", "\r"}) {
        SseDecoder d;
        std::vector<std::pair<std::string, std::string>> got;
        std::string text = ": comment" + nl + "event: a" + nl + "data: 1" + nl + "data:2" + nl + "id: 7" + nl + nl +
                           "data: x" + nl + nl;
        for (char c : text)
            d.feed(std::string_view(&c, 1), [&](std::string_view e, std::string_view data) {
                got.emplace_back(e, data);
                return true;
            });
        ASSERT_EQ(got.size(), 2u) << "line ending " << int(nl.back());
        EXPECT_EQ(got[0].first, "a");
        EXPECT_EQ(got[0].second, "1\n2");
        EXPECT_EQ(got[1].first, "message");
        EXPECT_TRUE(d.clean_end());
    }
}

TEST(ClaudeProtocol, StopReasons) {
    EXPECT_EQ(normalise_stop_reason("end_turn"), "stop");
    EXPECT_EQ(normalise_stop_reason("stop_sequence"), "stop");
    EXPECT_EQ(normalise_stop_reason("max_tokens"), "length");
    EXPECT_EQ(normalise_stop_reason("model_context_window_exceeded"), "length");
    EXPECT_EQ(normalise_stop_reason("refusal"), "content_filter");  // ABI 1.1
    EXPECT_EQ(normalise_stop_reason("tool_use"), "tool_calls");
}

TEST(ClaudeProtocol, FormatAsksForJsonInTheSystemPrompt) {
    Settings s;
    auto body =
        json::parse(messages_body(R"({"messages":[{"role":"user","content":"x"}],"format":"json"})", s, false).body);
    EXPECT_NE(std::string(body.at("system").as_string()).find("JSON"), std::string::npos);
    EXPECT_THROW(messages_body(R"({"messages":[{"role":"system","content":"only system"}]})", s, false),
                 std::invalid_argument);
}

TEST(ClaudeProtocol, ASchemaGoesToStructuredOutputsForModelsThatHaveThem) {
    Settings s;
    const std::string req =
        R"({"model":"claude-sonnet-4-5","messages":[{"role":"system","content":"rules","cache":true},)"
        R"({"role":"user","content":"x"}],"format":{"type":"object"}})";
    auto yes = json::parse(messages_body(req, s, false, [](const std::string&) { return true; }).body).as_object();
    EXPECT_EQ(json::serialize(yes.at("output_config")),
              R"({"format":{"type":"json_schema","schema":{"type":"object"}}})");
    // The cached prefix: the system block carries cache_control, and no schema ask is added.
    EXPECT_EQ(json::serialize(yes.at("system")),
              R"([{"type":"text","text":"rules","cache_control":{"type":"ephemeral"}}])");
    auto no = json::parse(messages_body(req, s, false, [](const std::string&) { return false; }).body).as_object();
    EXPECT_FALSE(no.contains("output_config"));
    EXPECT_NE(json::serialize(no.at("system")).find("conforms to this JSON Schema"), std::string::npos);
}

TEST(ClaudeProtocol, WhichModelsHaveStructuredOutputs) {
    for (const char* m : {"claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-opus-4-1",
                          "claude-opus-4-1-20250805", "claude-haiku-4-5", "claude-opus-4-6", "claude-sonnet-5",
                          "claude-sonnet-4-5@20250929", "claude-opus-99999999999999999999"})
        EXPECT_TRUE(supports_structured_output(m)) << m;
    for (const char* m : {"claude-sonnet-4-20250514", "claude-opus-4-20250514", "claude-3-5-haiku-20241022",
                          "claude-sonnet-4-0", "claude-haiku-3-5", "gpt-4o", "", "claude-opus-", "claude-opus-x"})
        EXPECT_FALSE(supports_structured_output(m)) << m;
    EXPECT_TRUE(structured_output_refused(400, R"({"type":"error","error":{"type":"invalid_request_error",)"
                                               R"("message":"output_config.format: not supported for this model"}})"));
    EXPECT_FALSE(structured_output_refused(400, R"({"error":{"message":"max_tokens: too large"}})"));
    EXPECT_FALSE(structured_output_refused(500, "output_config"));
}

// ABI 1.1 tools in the Messages API's shapes: tools with input_schema,
// tool_choice types, tool_use blocks out, tool_result blocks back in one user
// turn, and a streamed tool_use's input_json_delta fragments put together.
TEST(ClaudeProtocol, ToolsMapToTheMessagesApi) {
    Settings s;
    auto body =
        json::parse(messages_body(R"({"messages":[{"role":"user","content":"check it"},)"
                                  R"({"role":"assistant","content":"Let me look.","tool_calls":[)"
                                  R"({"id":"toolu_1","name":"get_config","arguments":{"app":"sabnzbd"}},)"
                                  R"({"id":"toolu_2","name":"get_config","arguments":{"app":"sonarr"}}]},)"
                                  R"({"role":"tool","tool_call_id":"toolu_1","content":"port 8080"},)"
                                  R"({"role":"tool","tool_call_id":"toolu_2","content":"port 8989"}],)"
                                  R"("tools":[{"name":"get_config","description":"d","parameters":{"type":"object"}}],)"
                                  R"("tool_choice":"required"})",
                                  s, false)
                        .body)
            .as_object();
    EXPECT_EQ(body.at("tools").at(0).at("input_schema").at("type"), "object");
    EXPECT_EQ(body.at("tool_choice").at("type"), "any");
    const auto& msgs = body.at("messages").as_array();
    ASSERT_EQ(msgs.size(), 3u);  // the two results share one user turn
    EXPECT_EQ(msgs[1].at("content").at(1).at("type"), "tool_use");
    EXPECT_EQ(msgs[1].at("content").at(1).at("input").at("app"), "sabnzbd");
    EXPECT_EQ(msgs[2].at("role"), "user");
    EXPECT_EQ(msgs[2].at("content").as_array().size(), 2u);
    EXPECT_EQ(msgs[2].at("content").at(1).at("tool_use_id"), "toolu_2");

    auto m = parse_message(
        R"({"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[)"
        R"({"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_9","name":"get_config","input":{"app":"radarr"}}],)"
        R"("stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":5}})");
    ASSERT_TRUE(m);
    auto o = response_object(*m, "x");
    EXPECT_EQ(o.at("finish_reason"), "tool_calls");
    EXPECT_EQ(o.at("request_id"), "msg_01");
    EXPECT_EQ(o.at("tool_calls").at(0).at("id"), "toolu_9");
    EXPECT_EQ(o.at("tool_calls").at(0).at("arguments").at("app"), "radarr");

    StreamAssembler a;
    a.apply("message_start",
            R"({"type":"message_start","message":{"id":"msg_02","model":"m","usage":{"input_tokens":3}}})");
    a.apply(
        "content_block_start",
        R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_3","name":"get_config","input":{}}})");
    for (const char* part : {R"({\"app\")", R"(: \"sab)", R"(nzbd\"})"})
        a.apply("content_block_delta",
                std::string(
                    R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":")") +
                    part + "\"}}");
    EXPECT_TRUE(a.message.tool_calls.empty());  // not whole yet
    a.apply("content_block_stop", R"({"type":"content_block_stop","index":0})");
    ASSERT_FALSE(a.malformed) << *a.malformed;
    ASSERT_EQ(a.message.tool_calls.size(), 1u);
    EXPECT_EQ(a.message.tool_calls[0].at("arguments").at("app"), "sabnzbd");

    StreamAssembler bad;
    bad.apply("content_block_start",
              R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"n"}})");
    bad.apply(
        "content_block_delta",
        R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}})");
    bad.apply("content_block_stop", R"({"type":"content_block_stop","index":0})");
    EXPECT_TRUE(bad.malformed);
}

}  // namespace
}  // namespace autoarr::claude
