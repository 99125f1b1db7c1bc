// Ollama protocol mapping and NDJSON framing, without sockets.
#include "ollama_protocol.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "http/line_splitter.h"
#include "support/fixture_server.h"

namespace autoarr::ollama {
namespace {

namespace json = boost::json;
using test::fixture_bytes;

// Feeds body through the splitter in the given pieces; returns the assembled content.
std::string assemble(const std::string& body, const std::vector<std::size_t>& pieces, ChatChunk* final_chunk) {
    http::LineSplitter splitter;
    std::string content;
    std::size_t at = 0;
    for (std::size_t n : pieces) {
        splitter.feed(std::string_view(body).substr(at, n), [&](std::string_view line) {
            auto c = parse_chat_chunk(line);
            EXPECT_TRUE(c.has_value()) << line;
            if (!c) return false;
            content += c->content;
            if (c->done && final_chunk) *final_chunk = *c;
            return true;
        });
        at += n;
    }
    EXPECT_TRUE(splitter.pending().empty());
    return content;
}

// Found by fuzzing (tests/fuzz/ollama_chat_fuzz.cpp): a Retry-After of
// "18446744073709551616" seconds (or "1e30", "nan") made the conversion to
// milliseconds undefined behaviour; it is now "no usable Retry-After".
TEST(OllamaProtocol, RetryAfterOutOfRangeIsIgnored) {
    EXPECT_EQ(retry_after_ms("18446744073709551616z]"), -1);
    EXPECT_EQ(retry_after_ms("1e30"), -1);
    EXPECT_EQ(retry_after_ms("nan"), -1);
    EXPECT_EQ(retry_after_ms("-inf"), -1);
    EXPECT_EQ(retry_after_ms("-1"), -1);
    EXPECT_EQ(retry_after_ms("soon"), -1);
    EXPECT_EQ(retry_after_ms("1e400"), -1);
    EXPECT_EQ(retry_after_ms("2"), 2000);
    EXPECT_EQ(retry_after_ms("0.25"), 250);
    EXPECT_EQ(retry_after_ms("86400"), 86400000);
    EXPECT_EQ(retry_after_ms("86401"), -1);
}

TEST(OllamaProtocol, GenerateFixturesParse) {
    auto manifest = json::parse(fixture_bytes("ollama/manifest.json"));
    std::string want;
    for (const auto& e : manifest.at("entries").as_array())
        if (e.at("file") == "generate_stream.ndjson") want = std::string(e.at("expected").at("response").as_string());
    const std::string body = fixture_bytes("ollama/generate_stream.ndjson");
    ChatChunk last;
    EXPECT_EQ(assemble(body, test::plan_bytewise(body.size()), &last), want);
    EXPECT_EQ(last.done_reason, "stop");
    auto whole = parse_chat_chunk(fixture_bytes("ollama/generate_nonstream.json"));
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->content, want);
}

TEST(OllamaProtocol, LoadAndUnloadAreStops) {
    for (const char* f : {"chat_load.json", "chat_unload.json"}) {
        auto c = parse_chat_chunk(fixture_bytes(std::string("ollama/") + f));
        ASSERT_TRUE(c) << f;
        EXPECT_TRUE(c->done);
        EXPECT_EQ(normalise_finish_reason(c->done_reason), "stop");
    }
}

TEST(OllamaProtocol, SplitterSurvivesEveryOffsetOfTheUtf8Stream) {
    const std::string body = fixture_bytes("ollama/chat_stream_utf8.ndjson");
    const std::string want = assemble(body, {body.size()}, nullptr);
    for (std::size_t cut = 1; cut < body.size(); ++cut)
        ASSERT_EQ(assemble(body, {cut, body.size() - cut}, nullptr), want);
}

TEST(OllamaProtocol, SplitterLimitsLineLength) {
    http::LineSplitter s(16);
    EXPECT_FALSE(s.feed(std::string(40, 'x'), [](std::string_view) { return true; }));
    EXPECT_TRUE(s.too_long());
}

TEST(OllamaProtocol, FinishReasons) {
    EXPECT_EQ(normalise_finish_reason("stop"), "stop");
    EXPECT_EQ(normalise_finish_reason(""), "stop");  // older servers omit done_reason
    EXPECT_EQ(normalise_finish_reason("length"), "length");
    EXPECT_EQ(normalise_finish_reason("something-new"), "error");
}

TEST(OllamaProtocol, FinalObjectWithoutMessageAndNullImages) {
    auto c = parse_chat_chunk(R"({"model":"m","created_at":"x","done":true,"total_duration":1})");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->done);
    EXPECT_EQ(c->content, "");
    c = parse_chat_chunk(R"({"model":"m","message":{"role":"assistant","content":"a","images":null},"done":false})");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->content, "a");
    EXPECT_FALSE(parse_chat_chunk("not json"));
}

TEST(OllamaProtocol, ModelNamesMatchLikeOllama) {
    EXPECT_TRUE(model_matches("llama3", "llama3:latest"));
    EXPECT_TRUE(model_matches("llama3:8b", "llama3:8b"));
    EXPECT_FALSE(model_matches("llama3:8b", "llama3:latest"));
    EXPECT_FALSE(model_matches("llama3", "llama3.2:latest"));
}

TEST(OllamaProtocol, ErrorMessages) {
    EXPECT_EQ(error_message(R"({"error":"model 'x' not found"})"), "model 'x' not found");
    EXPECT_EQ(error_message("404 page not found"), "404 page not found");
    EXPECT_EQ(error_message(""), "(empty body)");
}

TEST(OllamaProtocol, TagsParsing) {
    auto names = parse_tags(fixture_bytes("ollama/tags.json"));
    ASSERT_TRUE(names);
    EXPECT_EQ(names->size(), 3u);
    EXPECT_FALSE(parse_tags("[]"));
}

}  // namespace
}  // namespace autoarr::ollama
