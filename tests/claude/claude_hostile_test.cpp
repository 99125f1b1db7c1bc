// The real Claude plugin against a hostile upstream on loopback (plain http
// to 127.0.0.1, which the plugin allows): a key echoed in an error, a huge
// error body, an answer that never ends (issue 13, parts 4 and 5).
#include <gtest/gtest.h>

#include <string>

#include "http/text_limits.h"
#include "support/fixture_server.h"
#include "support/provider_harness.h"
#include "util/secret_scrubber.h"

namespace autoarr::test {
namespace {

const char* kEchoedKey = "sk-ant-echoed-7f3a9c1e5b2d4f60";

class ClaudeHostileTest : public ::testing::Test {
protected:
    void SetUp() override {
        plugin_ = builtin_plugin("claude");
        ASSERT_NE(plugin_, nullptr);
        plugin_->host_context().secret = [](std::string_view name) -> std::optional<std::string> {
            if (name == "claude.api_key") return std::string(kEchoedKey);
            return std::nullopt;
        };
        util::process_secrets().add(kEchoedKey);  // what the host does with every configured key
    }
    void TearDown() override { plugin_->host_context().secret = nullptr; }
    std::unique_ptr<plugin::Instance> make(const std::string& base_url, const std::string& extra = "") {
        return instance_of(plugin_, R"({"base_url":")" + base_url + "\"" + extra + "}");
    }

    std::shared_ptr<plugin::LoadedPlugin> plugin_;
    FixtureServer server_;
};

TEST_F(ClaudeHostileTest, AKeyEchoedByTheUpstreamNeverReachesTheMessage) {
    server_.on("POST", "/v1/messages", [](const ReceivedRequest& req) {
        return body_response(
            401, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key: )" +
                     req.headers.at("x-api-key") + R"("}})");
    });
    auto inst = make(server_.url());
    std::string out;
    plugin::CallContext ctx;
    auto st = inst->complete(ctx, chat_request("hi"), out);
    EXPECT_EQ(st.code, AUTOARR_ERR_AUTH_FAILED);
    EXPECT_EQ(st.message.find(kEchoedKey), std::string::npos) << st.message;
    EXPECT_NE(st.message.find("invalid x-api-key: **redacted**"), std::string::npos) << st.message;
}

TEST_F(ClaudeHostileTest, AHugeErrorBodyBecomesAShortMessage) {
    const std::string huge =
        R"({"type":"error","error":{"type":"api_error","message":")" + std::string(60 << 20, 'x') + R"("}})";
    server_.on("POST", "/v1/messages", [&](const ReceivedRequest&) { return body_response(500, huge); });
    auto inst = make(server_.url());
    std::string out;
    plugin::CallContext ctx;
    auto st = inst->complete(ctx, chat_request("hi"), out);
    EXPECT_EQ(st.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_LE(st.message.size(), http::kMaxErrorText);
    auto r = stream_call(*inst, chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_LE(r.status.message.size(), http::kMaxErrorText);
}

TEST_F(ClaudeHostileTest, AnEndlessStreamStopsAtMaxAnswerBytes) {
    std::string sse = fixture_bytes("anthropic/stream_basic.sse");
    sse = sse.substr(0, sse.find("event: content_block_delta"));  // message_start, block start, ping
    const std::string delta =
        "event: content_block_delta\ndata: "
        R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")" +
        std::string(1000, 'a') + "\"}}\n\n";
    while (sse.size() < (32u << 20)) sse += delta;
    server_.on("POST", "/v1/messages",
               [&](const ReceivedRequest&) { return body_response(200, sse, "text/event-stream", true); });
    auto inst = make(server_.url(), R"(,"max_answer_bytes":1048576)");
    auto r = stream_call(*inst, chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_INVALID_RESPONSE);
    EXPECT_NE(r.status.message.find("max_answer_bytes (1048576 bytes)"), std::string::npos) << r.status.message;
    EXPECT_LE(r.text.size(), 1048576u);
    EXPECT_GT(r.text.size(), 0u);
}

TEST_F(ClaudeHostileTest, PlainHttpGoesOnlyToALoopbackAddressNeverToAName) {
    // "localhost" is resolved through /etc/hosts and DNS: it could be any machine.
    for (std::string url : {"http://localhost:" + std::to_string(server_.port()), std::string("http://x.localhost"),
                            std::string("http://10.0.0.8")}) {
        SCOPED_TRACE(url);
        plugin::CallStatus st;
        EXPECT_EQ(plugin::Instance::create(plugin_, R"({"base_url":")" + url + "\"}", st), nullptr);
        EXPECT_EQ(st.code, AUTOARR_ERR_CONFIG_INVALID);
        EXPECT_NE(st.message.find("not a loopback address"), std::string::npos) << st.message;
    }
    EXPECT_TRUE(server_.requests().empty());  // the key was never sent
    for (std::string url : {"http://127.0.0.1:" + std::to_string(server_.port()), std::string("http://[::1]:9")}) {
        plugin::CallStatus st;
        EXPECT_NE(plugin::Instance::create(plugin_, R"({"base_url":")" + url + "\"}", st), nullptr) << url;
    }
}

}  // namespace
}  // namespace autoarr::test
