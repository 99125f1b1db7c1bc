// `autoarr serve`, the real binary, in front of hostile upstreams and a
// hostile plugin: what reaches a client, the log and the store stays small,
// valid JSON and free of the keys (issue 13, parts 4 and 5).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <thread>

#include "http/text_limits.h"
#include "store/store.h"
#include "support/fixture_server.h"
#include "support/plugin_dir.h"
#include "support/provider_harness.h"
#include "support/serve_process.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kSampleStack = std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack";

// The peak resident set of a process, in bytes (VmHWM).
std::size_t peak_rss(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    return 0;
}

// Every byte of the store's files (the database and its WAL).
std::string store_bytes(const std::filesystem::path& dir) {
    std::string all;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().filename().string().rfind("autoarr.db", 0) == 0) all += read_file(e.path());
    return all;
}

// Parses a JSON body, or the data of every SSE event: throws when one is not JSON.
void parse_json_or_events(const std::string& sse) {
    if (sse.rfind("{", 0) == 0) {  // a stream that failed before its first event is a normal error
        json::parse(sse);
        return;
    }
    std::size_t events = 0;
    for (std::size_t at = 0; (at = sse.find("data: ", at)) != std::string::npos; ++events) {
        at += 6;
        const auto end = sse.find('\n', at);
        json::parse(sse.substr(at, end - at));
    }
    if (events == 0) throw std::runtime_error("no events in: " + sse);
}

const std::string kChat = R"({"messages":[{"role":"user","content":"Why is the sky blue?"}]})";
const std::string kStreamChat = R"({"messages":[{"role":"user","content":"Why is the sky blue?"}],"stream":true})";

class HostileUpstreamServerTest : public ::testing::Test {
protected:
    std::unique_ptr<Serve> serve(std::vector<std::string> env, std::vector<std::string> args = {}) {
        env.push_back("AUTOARR_PLUGIN_PATH=");
        return std::make_unique<Serve>(dir_.path() / "autoarr.db", env, args);
    }
    void serve_ollama_tags() {
        ollama_.on("GET", "/api/tags",
                   [](const ReceivedRequest&) { return body_response(200, fixture_bytes("ollama/tags.json")); });
    }
    std::vector<std::string> ollama_env() {
        // Only Ollama: a dev build also has a private echo plugin that would answer.
        return {"OLLAMA_URL=" + ollama_.url(), "OLLAMA_MODEL=llama3.2", "LLM_PROVIDER=ollama",
                "LLM_FALLBACK_ENABLED=false"};
    }

    TempDir dir_;
    FixtureServer ollama_;
};

TEST_F(HostileUpstreamServerTest, ASixtyMegabyteOllamaErrorKeepsTheResponseAndTheMemorySmall) {
    serve_ollama_tags();
    const std::string huge = R"({"error":")" + std::string(60 << 20, 'x') + R"("})";
    ollama_.on("POST", "/api/chat", [&](const ReceivedRequest&) { return body_response(500, huge); });
    auto s = serve(ollama_env());
    const std::size_t before = peak_rss(s->process().pid());
    ASSERT_GT(before, 0u);
    auto r = s->post("/api/v1/chat", kChat);
    EXPECT_EQ(r.status, 502);
    EXPECT_LT(r.body.size(), 16u * 1024) << r.body.substr(0, 300);
    EXPECT_EQ(r.json().at("error").at("code"), "provider_failed");
    auto streamed = s->post("/api/v1/chat", kStreamChat);
    EXPECT_LT(streamed.body.size(), 16u * 1024) << streamed.body.substr(0, 300);
    // The old code's peak was 742 MB for one such request. Measured as growth, so a
    // sanitizer's larger baseline does not matter.
    EXPECT_LT(peak_rss(s->process().pid()) - before, std::size_t{32} << 20);
}

TEST_F(HostileUpstreamServerTest, IllFormedUtf8FromOllamaStillGivesValidJson) {
    serve_ollama_tags();
    ollama_.on("POST", "/api/chat", [](const ReceivedRequest& req) {
        if (req.body.find("\"stream\":true") != std::string::npos)
            return body_response(200, "{\"message\":{\"content\":\"caf\xC3\"},\"done\":false}\n",
                                 "application/x-ndjson");
        return body_response(502, "<html>bad gateway \xC3\x28\xFF\xFE</html>", "text/html");
    });
    auto s = serve(ollama_env());
    auto streamed = s->post("/api/v1/chat", kStreamChat);  // first: the 502s below open the breaker
    EXPECT_NE(streamed.body.find("not JSON"), std::string::npos) << streamed.body;
    EXPECT_TRUE(http::is_valid_utf8(streamed.body)) << streamed.body;
    EXPECT_NO_THROW(parse_json_or_events(streamed.body)) << streamed.body;  // Boost.JSON refuses ill-formed UTF-8
    auto r = s->post("/api/v1/chat", kChat);
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.body.find("bad gateway"), std::string::npos) << r.body;
    EXPECT_TRUE(http::is_valid_utf8(r.body)) << r.body;
    EXPECT_NO_THROW(r.json()) << r.body;
}

TEST_F(HostileUpstreamServerTest, AClaudeKeyEchoedUpstreamNeverReachesTheApiTheLogOrTheStore) {
    const std::string key = "sk-ant-api03-echoed-5c8e2a7d9f1b";
    FixtureServer claude;  // plain http on 127.0.0.1, which the plugin allows
    auto echo = [](const ReceivedRequest& req) {
        return body_response(401,
                             R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key )" +
                                 req.headers.at("x-api-key") + R"("}})");
    };
    claude.on("POST", "/v1/messages", echo);
    claude.on("GET", "/v1/models", echo);
    {
        auto s = serve({"LLM_PROVIDER=claude", "LLM_FALLBACK_ENABLED=false", "CLAUDE_API_KEY=" + key,
                        "CLAUDE_BASE_URL=" + claude.url()},
                       {"--sample-stack", kSampleStack});
        std::this_thread::sleep_for(600ms);  // health checks every 0.2 s: the 401 is recorded
        auto chat = s->post("/api/v1/chat", kChat);
        EXPECT_NE(chat.status, 200);
        EXPECT_NE(chat.body.find("authentication_error"), std::string::npos) << chat.body;
        auto providers = s->get("/api/v1/providers");
        auto audit = s->post("/api/v1/audits", R"({"source":"sample"})");
        EXPECT_EQ(audit.status, 201) << audit.body;
        auto stored = s->get("/api/v1/audits/" + std::string(audit.json().at("audit_id").as_string()));
        for (const auto* body : {&chat.body, &providers.body, &audit.body, &stored.body})
            EXPECT_EQ(body->find(key), std::string::npos) << *body;
        EXPECT_NE(providers.body.find("**redacted**"), std::string::npos) << providers.body;
        ASSERT_FALSE(claude.requests().empty());
        EXPECT_EQ(claude.requests().back().headers.at("x-api-key"), key);  // it was sent, and echoed
        s->process().stop();
        EXPECT_EQ(s->log().find(key), std::string::npos) << s->log();
    }
    store::Store db((dir_.path() / "autoarr.db").string());
    auto transitions = db.health_transitions("claude");
    ASSERT_FALSE(transitions.empty());
    for (const auto& [state, reason] : transitions) EXPECT_EQ(reason.find(key), std::string::npos) << reason;
    EXPECT_EQ(store_bytes(dir_.path()).find(key), std::string::npos);
}

TEST_F(HostileUpstreamServerTest, AHostilePluginCannotForgeLogLinesOrLeakItsKey) {
    TempDir plugins;
    install_fixture(plugins.path(), "hostile", "fixture_hostile", "hostile");
    const std::string key = "hostile-key-93b1d7e5c2a8";
    write_file(dir_.path() / "config.json", R"({"routing": {"provider": "hostile"},
        "providers": {"hostile": {"Api-Key": ")" +
                                                key + R"(",
          "log": "hello\n2026-12-01T00:00:00Z error server: forged line\u001b[2J",
          "error_text": "upstream said: $KEY is wrong", "detail_reason": "key $KEY expired"}}})");
    auto s = std::make_unique<Serve>(
        dir_.path() / "autoarr.db", std::vector<std::string>{},
        std::vector<std::string>{"--no-builtin-plugins", "--plugin-dir", plugins.path().string(), "--config",
                                 (dir_.path() / "config.json").string()});
    std::this_thread::sleep_for(400ms);
    auto providers = s->get("/api/v1/providers");  // before a call's failure replaces the health reason
    EXPECT_NE(providers.body.find("key **redacted** expired"), std::string::npos) << providers.body;
    EXPECT_EQ(providers.body.find(key), std::string::npos);
    auto chat = s->post("/api/v1/chat", kChat);
    EXPECT_EQ(chat.status, 502);
    EXPECT_NE(chat.body.find("upstream said: **redacted** is wrong"), std::string::npos) << chat.body;
    EXPECT_EQ(chat.body.find(key), std::string::npos);
    s->process().stop();
    const std::string log = s->log();
    EXPECT_EQ(log.find("\n2026-12-01T00:00:00Z error server: forged"), std::string::npos) << log;
    EXPECT_NE(log.find("hello\\n2026-12-01T00:00:00Z error server: forged line\\x1b[2J"), std::string::npos) << log;
    EXPECT_EQ(log.find('\x1b'), std::string::npos);
    EXPECT_EQ(log.find(key), std::string::npos);
}

}  // namespace
}  // namespace autoarr::test
