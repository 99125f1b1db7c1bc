// The real Ollama plugin against a hostile upstream on loopback: a huge error
// body, ill-formed UTF-8, an answer that never ends (issue 13, part 4).
#include <gtest/gtest.h>

#include <string>

#include "http/text_limits.h"
#include "support/fixture_server.h"
#include "support/provider_harness.h"

namespace autoarr::test {
namespace {

using namespace std::chrono_literals;

// n NDJSON lines of about 1 KiB of content each, none of them done:true.
std::string endless_lines(std::size_t n) {
    const std::string line = R"({"model":"llama3.2","message":{"role":"assistant","content":")" +
                             std::string(1000, 'a') + R"("},"done":false})" + "\n";
    std::string out;
    out.reserve(line.size() * n);
    for (std::size_t i = 0; i < n; ++i) out += line;
    return out;
}

class OllamaHostileTest : public ::testing::Test {
protected:
    void SetUp() override {
        plugin_ = builtin_plugin("ollama");
        ASSERT_NE(plugin_, nullptr);
    }
    std::unique_ptr<plugin::Instance> make(const std::string& extra = "") {
        return instance_of(plugin_, R"({"url":")" + server_.url() + R"(","model":"llama3.2")" + extra + "}");
    }
    plugin::CallStatus complete(plugin::Instance& inst, std::string& out) {
        plugin::CallContext ctx;
        return inst.complete(ctx, chat_request("hi"), out);
    }

    std::shared_ptr<plugin::LoadedPlugin> plugin_;
    FixtureServer server_;
};

TEST_F(OllamaHostileTest, ASixtyMegabyteErrorBodyBecomesAShortMessage) {
    const std::string huge = R"({"error":")" + std::string(60 << 20, 'x') + R"("})";
    server_.on("POST", "/api/chat", [&](const ReceivedRequest&) { return body_response(500, huge); });
    auto inst = make();
    std::string out;
    const auto t0 = std::chrono::steady_clock::now();
    auto st = complete(*inst, out);
    EXPECT_EQ(st.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_LE(st.message.size(), http::kMaxErrorText);
    EXPECT_NE(st.message.find("HTTP 500"), std::string::npos) << st.message.substr(0, 200);
    auto r = stream_call(*inst, chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_LE(r.status.message.size(), http::kMaxErrorText);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);  // nothing reads the 60 MB
}

TEST_F(OllamaHostileTest, IllFormedUtf8FromTheUpstreamNeverReachesAMessage) {
    server_.on("POST", "/api/chat", [](const ReceivedRequest& req) {
        if (req.body.find("\"stream\":true") != std::string::npos)
            return body_response(200, "{\"message\":{\"content\":\"a\xFF\xFE b\"},\"done\":false}\n",
                                 "application/x-ndjson", true);
        return body_response(502, "bad gateway \xC3\x28 \xFF\xFE end", "text/plain");
    });
    auto inst = make();
    std::string out;
    auto st = complete(*inst, out);
    EXPECT_EQ(st.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_TRUE(http::is_valid_utf8(st.message)) << st.message;
    EXPECT_NE(st.message.find("bad gateway"), std::string::npos) << st.message;
    auto r = stream_call(*inst, chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_INVALID_RESPONSE);
    EXPECT_TRUE(http::is_valid_utf8(r.status.message)) << r.status.message;
    EXPECT_NE(r.status.message.find("not JSON"), std::string::npos) << r.status.message;
}

TEST_F(OllamaHostileTest, AnEndlessStreamStopsAtMaxAnswerBytes) {
    const std::string body = endless_lines(32 * 1024);  // about 34 MB
    server_.on("POST", "/api/chat",
               [&](const ReceivedRequest&) { return body_response(200, body, "application/x-ndjson", true); });
    auto inst = make(R"(,"max_answer_bytes":1048576)");
    const auto t0 = std::chrono::steady_clock::now();
    auto r = stream_call(*inst, chat_request("hi"));
    EXPECT_EQ(r.status.code, AUTOARR_ERR_INVALID_RESPONSE);
    EXPECT_NE(r.status.flags & AUTOARR_ERROR_FLAG_INCOMPLETE, 0u);
    EXPECT_NE(r.status.message.find("max_answer_bytes (1048576 bytes)"), std::string::npos) << r.status.message;
    EXPECT_LE(r.text.size(), 1048576u);
    EXPECT_GT(r.text.size(), 0u);  // what came before the cap was delivered
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

TEST_F(OllamaHostileTest, ANonStreamedAnswerLargerThanMaxAnswerBytesIsRefused) {
    const std::string body = R"({"model":"llama3.2","message":{"role":"assistant","content":")" +
                             std::string(2 << 20, 'a') + R"("},"done":true})";
    server_.on("POST", "/api/chat", [&](const ReceivedRequest&) { return body_response(200, body); });
    auto inst = make(R"(,"max_answer_bytes":1048576)");
    std::string out;
    auto st = complete(*inst, out);
    EXPECT_EQ(st.code, AUTOARR_ERR_INVALID_RESPONSE);
    EXPECT_NE(st.message.find("larger than 1048576 bytes"), std::string::npos) << st.message;
    EXPECT_TRUE(out.empty());
}

TEST_F(OllamaHostileTest, MaxAnswerBytesMustBeAWholeNumber) {
    for (const char* bad : {R"("big")", "-1", "10", "1.5"}) {
        plugin::CallStatus st;
        auto inst = plugin::Instance::create(plugin_, std::string(R"({"max_answer_bytes":)") + bad + "}", st);
        EXPECT_EQ(inst, nullptr) << bad;
        EXPECT_EQ(st.code, AUTOARR_ERR_CONFIG_INVALID) << bad;
        EXPECT_NE(st.message.find("max_answer_bytes"), std::string::npos) << st.message;
    }
}

}  // namespace
}  // namespace autoarr::test
