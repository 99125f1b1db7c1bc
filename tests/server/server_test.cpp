// `autoarr serve`, the real binary, over real sockets.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <thread>

#include "http/client.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "support/child_process.h"
#include "support/fixture_server.h"
#include "support/loopback_http.h"
#include "support/plugin_dir.h"
#include "support/run_process.h"
#include "support/test_certs.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

struct Reply {
    int status = 0;
    std::string body;
    http::ResponseHead head;
    json::value json() const { return json::parse(body); }
};

class Serve {
public:
    // env: "NAME=value" assignments for the child; args: extra serve arguments.
    Serve(const std::filesystem::path& db, std::vector<std::string> env, std::vector<std::string> args)
        : port_(free_port()) {
        std::vector<std::string> argv = {"env"};
        argv.insert(argv.end(), env.begin(), env.end());
        argv.insert(argv.end(),
                    {AUTOARR_BINARY, "--log-level", "warn", "serve", "--listen", "127.0.0.1:" + std::to_string(port_),
                     "--db", db.string(), "--health-interval", "0.2"});
        argv.insert(argv.end(), args.begin(), args.end());
        log_ = (db.parent_path() / ("serve-" + std::to_string(port_) + ".log")).string();
        proc_ = std::make_unique<ChildProcess>(argv, log_);
        for (int i = 0; i < 200; ++i) {
            try {
                if (get("/health/ready").status == 200) return;
            } catch (...) {
            }
            std::this_thread::sleep_for(50ms);
        }
        throw std::runtime_error("autoarr serve did not become ready: " + read_file(log_));
    }
    Reply call(const std::string& method, const std::string& target, const std::string& body = "",
               std::vector<http::Header> headers = {}) {
        auto [head, text] = loopback_request(port_, method, target, body, std::move(headers));
        return Reply{head.status, text, head};
    }
    Reply get(const std::string& t, std::vector<http::Header> h = {}) { return call("GET", t, "", std::move(h)); }
    Reply post(const std::string& t, const std::string& b, std::vector<http::Header> h = {}) {
        return call("POST", t, b, std::move(h));
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    void kill9() { proc_->signal(SIGKILL); }
    ChildProcess& process() { return *proc_; }
    std::string log() const { return read_file(log_); }

private:
    uint16_t port_;
    std::string log_;
    std::unique_ptr<ChildProcess> proc_;
};

std::string sample_documents() {
    json::object docs;
    for (const char* app : {"sabnzbd", "sonarr", "radarr"}) {
        json::object eps;
        for (const auto& e :
             std::filesystem::directory_iterator(std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack/" + app))
            if (e.path().extension() == ".json") eps[e.path().stem().string()] = json::parse(read_file(e.path()));
        docs[app] = std::move(eps);
    }
    return json::serialize(json::object{{"documents", docs}});
}

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        install_fixture(plugins_.path(), "a", "fixture_script_a", "script-a");
        install_fixture(plugins_.path(), "b", "fixture_script_b", "script-b");
        write_file(dir_.path() / "config.json",
                   R"({"routing": {"provider": "script-a", "fallback_order": ["script-b"]},
                       "providers": {"script-a": {"always_fail": true, "retryable": false}}})");
    }
    std::unique_ptr<Serve> serve(std::vector<std::string> env = {}, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"--no-builtin-plugins", "--plugin-dir", plugins_.path().string(), "--config",
                                         (dir_.path() / "config.json").string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return std::make_unique<Serve>(dir_.path() / "autoarr.db", std::move(env), args);
    }
    TempDir dir_, plugins_;
};

TEST_F(ServerTest, HealthProvidersAndMetrics) {
    auto s = serve();
    auto h = s->get("/health");
    ASSERT_EQ(h.status, 200);
    EXPECT_EQ(h.json().at("version"), "0.1.0");
    EXPECT_TRUE(h.json().at("providers").as_object().contains("script-a"));
    EXPECT_EQ(s->get("/health/live").status, 200);
    auto p = s->get("/api/v1/providers");
    ASSERT_EQ(p.status, 200);
    EXPECT_EQ(p.json().as_array()[0].at("id"), "script-a");
    auto check = s->post("/api/v1/providers/script-b/check", "");
    EXPECT_EQ(check.status, 200);
    EXPECT_EQ(check.json().at("state"), "healthy");
    EXPECT_EQ(s->post("/api/v1/providers/nope/check", "").status, 404);
    auto m = s->get("/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("autoarr_http_requests_total{route=\"/health\",status=\"200\"}"), std::string::npos);
    EXPECT_NE(m.body.find("autoarr_http_request_duration_seconds_bucket"), std::string::npos);
}

TEST_F(ServerTest, ChatFallsBackAndSaysWho) {
    auto s = serve();
    auto r = s->post("/api/v1/chat", R"({"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto o = r.json().as_object();
    EXPECT_EQ(o.at("content"), "script-b");
    EXPECT_EQ(o.at("provider"), "script-b");
    EXPECT_EQ(o.at("attempts").as_array().size(), 2u);
    for (const char* k : {"model", "usage", "finish_reason"}) EXPECT_TRUE(o.contains(k)) << k;
    auto m = s->get("/metrics").body;
    EXPECT_NE(m.find("autoarr_provider_attempts_total{provider=\"script-b\",outcome=\"ok\"}"), std::string::npos);
    EXPECT_NE(m.find("autoarr_usage_rows_total{fate=\"dropped\"} 0"), std::string::npos) << m;
}

TEST_F(ServerTest, EveryBadInputGetsItsStatus) {
    auto s = serve();
    auto expect = [&](const Reply& r, int status, const char* code) {
        EXPECT_EQ(r.status, status) << r.body;
        auto o = r.json().as_object();
        EXPECT_EQ(o.at("error").at("code"), code) << r.body;
        EXPECT_TRUE(o.at("error").as_object().contains("message"));
    };
    expect(s->post("/api/v1/chat", "{not json"), 400, "malformed_json");
    expect(s->post("/api/v1/chat", "[1,2]"), 422, "invalid_body");
    expect(s->post("/api/v1/chat", R"({"messages":[]})"), 422, "invalid_field");
    expect(s->post("/api/v1/chat", R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})"), 422,
           "invalid_field");
    expect(s->post("/api/v1/chat", R"({"messages":[{"role":"user","content":"x"}],"provider":"nope"})"), 422,
           "unknown_provider");
    expect(s->get("/api/v1/nothing"), 404, "not_found");
    auto m = s->call("DELETE", "/api/v1/chat");
    expect(m, 405, "method_not_allowed");
    EXPECT_EQ(*m.head.find("allow"), "POST");
    expect(s->post("/api/v1/chat", std::string(9 * 1024 * 1024, ' ')), 413, "payload_too_large");
    expect(s->get("/health", {{"x-junk", std::string(20000, 'a')}}), 431, "headers_too_large");
    expect(s->get("/api/v1/audits?limit=0"), 422, "invalid_query");
    expect(s->get("/api/v1/audits/aud_missing"), 404, "unknown_audit");
    expect(s->post("/api/v1/audits", R"({"documents":{"plex":{}}})"), 422, "invalid_field");
    expect(s->post("/api/v1/audits", R"({"documents":{"sonarr":{"rootfolder":{}}}})"), 422, "invalid_field");
    expect(s->post("/api/v1/audits", R"({"source":"live"})"), 422, "no_applications");
    expect(s->post("/api/v1/audits", R"({})"), 422, "invalid_body");
    EXPECT_EQ(s->get("/health").status, 200);  // still serving after all that
}

TEST_F(ServerTest, AuditsAreCreatedListedAndFetched) {
    auto s = serve();
    auto r = s->post("/api/v1/audits", sample_documents());
    ASSERT_EQ(r.status, 201) << r.body;
    auto audit = r.json().as_object();
    EXPECT_EQ(audit.at("findings").as_array().size(), 91u);
    std::string id(audit.at("audit_id").as_string());
    EXPECT_EQ(*r.head.find("location"), "/api/v1/audits/" + id);
    EXPECT_EQ(r.body.find("9b1e4c7a2f6d4e0b8a3c5d7e9f1a2b3c"), std::string::npos);  // redacted
    auto got = s->get("/api/v1/audits/" + id);
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.body, r.body);
    s->post("/api/v1/audits", sample_documents());
    auto list = s->get("/api/v1/audits?limit=1&offset=1").json().as_object();
    EXPECT_EQ(list.at("total"), 2);
    ASSERT_EQ(list.at("audits").as_array().size(), 1u);
    EXPECT_EQ(list.at("audits").as_array()[0].at("audit_id").as_string(), id);  // newest first: the older one is second

    // Progress events, then the result, with Accept: text/event-stream.
    auto sse = s->post("/api/v1/audits", sample_documents(), {{"accept", "text/event-stream"}});
    EXPECT_EQ(sse.status, 200);
    EXPECT_NE(sse.body.find("event: progress\ndata: {\"stage\":\"auditing\"}"), std::string::npos);
    EXPECT_NE(sse.body.find("event: result\ndata: {"), std::string::npos);
}

TEST_F(ServerTest, BearerTokenProtectsTheApi) {
    auto s = serve({"AUTOARR_API_TOKEN=s3cret"});
    EXPECT_EQ(s->get("/health").status, 200);  // health stays open for probes
    auto r = s->get("/api/v1/providers");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(*r.head.find("www-authenticate"), "Bearer");
    EXPECT_EQ(s->get("/api/v1/providers", {{"authorization", "Bearer wrong"}}).status, 401);
    EXPECT_EQ(s->get("/api/v1/providers", {{"authorization", "Bearer s3cret"}}).status, 200);
}

TEST_F(ServerTest, BadNumbersOnTheCommandLineAreNamed) {
    auto serve_with = [&](const std::string& flags) {
        return run_process(shell_quote(AUTOARR_BINARY) + " serve --listen 127.0.0.1:0 " + flags + " --db " +
                           shell_quote((dir_.path() / "x.db").string()));
    };
    for (const char* bad : {"0", "abc", "4x", "100000"}) {
        auto r = serve_with(std::string("--workers ") + bad);
        EXPECT_EQ(r.exit_code, 2) << bad;
        EXPECT_NE(r.err.find("--workers must be a whole number from 1 to 256"), std::string::npos) << r.err;
    }
    for (const char* bad : {"0", "-1", "abc", "5x", "1e9"}) {
        auto r = serve_with(std::string("--health-interval ") + bad);
        EXPECT_EQ(r.exit_code, 2) << bad;
        EXPECT_NE(r.err.find("--health-interval must be a number of seconds"), std::string::npos) << r.err;
    }
}

TEST_F(ServerTest, RefusesToListenBeyondLoopbackWithoutAToken) {
    auto r = run_process("env -u AUTOARR_API_TOKEN " + shell_quote(AUTOARR_BINARY) + " serve --listen 0.0.0.0:0 --db " +
                         shell_quote((dir_.path() / "x.db").string()));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("without AUTOARR_API_TOKEN"), std::string::npos) << r.err;
}

TEST_F(ServerTest, EveryChatLeavesAUsageRowByTheTimeTheServiceStops) {
    constexpr int kChats = 25;
    {
        auto s = serve();
        for (int i = 0; i < kChats; ++i)
            ASSERT_EQ(s->post("/api/v1/chat", R"({"messages":[{"role":"user","content":"hi"}]})").status, 200);
        s->process().stop();  // SIGTERM: the queued rows are committed before exit
    }
    store::Database db((dir_.path() / "autoarr.db").string());
    auto count = [&](const char* where) {
        auto q = db.prepare(std::string("SELECT count(*) FROM request_usage WHERE ") + where);
        q.step();
        return q.integer(0);
    };
    EXPECT_EQ(count("provider = 'script-b' AND outcome = 'ok'"), kChats);
    EXPECT_EQ(count("at LIKE '____-__-__T__:__:__.___Z'"), kChats);  // the request's own time, ms precision
}

TEST_F(ServerTest, AuditsSurviveARestart) {
    std::string id;
    {
        auto s = serve();
        auto r = s->post("/api/v1/audits", sample_documents());
        ASSERT_EQ(r.status, 201);
        id = std::string(r.json().at("audit_id").as_string());
        s->process().stop();  // SIGTERM: graceful
    }
    auto s = serve();
    EXPECT_EQ(s->get("/api/v1/audits/" + id).status, 200);
}

TEST_F(ServerTest, KillDashNineDuringABurstLosesNoAnsweredAudit) {
    auto s = serve();
    const std::string body = sample_documents();
    std::mutex m;
    std::vector<std::string> answered;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t)
        clients.emplace_back([&] {
            while (!stop) {
                try {
                    auto r = s->post("/api/v1/audits", body);
                    if (r.status == 201) {
                        std::lock_guard lock(m);
                        answered.push_back(std::string(r.json().at("audit_id").as_string()));
                    }
                } catch (...) {
                }
            }
        });
    // Let the burst run until several audits were answered (a sanitizer build is
    // much slower), then kill -9 while requests are still in flight.
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < give_up) {
        {
            std::lock_guard lock(m);
            if (answered.size() >= 8) break;
        }
        std::this_thread::sleep_for(20ms);
    }
    s->kill9();
    stop = true;
    for (auto& c : clients) c.join();
    ASSERT_GT(answered.size(), 3u);
    s.reset();
    {
        store::Store db((dir_.path() / "autoarr.db").string());  // opens, migrations intact
        EXPECT_EQ(db.schema_version(), store::Store::kSchemaVersion);
        for (const auto& id : answered) EXPECT_TRUE(db.audit(id).has_value()) << id << " was answered but lost";
    }
    auto again = serve();
    EXPECT_EQ(again->get("/api/v1/audits/" + answered.back()).status, 200);
}

TEST_F(ServerTest, ProviderHealthTransitionsAreStored) {
    {
        auto s = serve();
        std::this_thread::sleep_for(500ms);  // the monitor checks at start (interval 0.2 s)
        s->process().stop();
    }
    store::Store db((dir_.path() / "autoarr.db").string());
    auto t = db.health_transitions("script-b");
    ASSERT_FALSE(t.empty());
    EXPECT_EQ(t.front().first, "healthy");
}

// The built-in plugins against fixture servers: SSE through Ollama, fallback to Claude.
class ServerProvidersTest : public ::testing::Test {
protected:
    std::unique_ptr<Serve> serve(std::vector<std::string> env) {
        env.push_back("AUTOARR_PLUGIN_PATH=");
        return std::make_unique<Serve>(dir_.path() / "autoarr.db", env, std::vector<std::string>{});
    }
    TempDir dir_;
};

TEST_F(ServerProvidersTest, StreamedTokensArriveBeforeTheUpstreamFinishes) {
    FixtureServer ollama;
    const std::string stream = fixture_bytes("ollama/chat_stream.ndjson");
    ollama.on("GET", "/api/tags", [](const ReceivedRequest&) {
        FixtureResponse r;
        r.body = fixture_bytes("ollama/tags.json");
        return r;
    });
    ollama.on("POST", "/api/chat", [&](const ReceivedRequest&) {
        FixtureResponse r;
        r.headers = {{"Content-Type", "application/x-ndjson"}};
        r.body = stream;
        r.chunked = true;
        std::size_t at = 0;  // one line per write, 20 ms apart: about a second in all
        for (std::size_t lf; (lf = stream.find('\n', at)) != std::string::npos; at = lf + 1)
            r.pieces.push_back(lf + 1 - at);
        r.piece_delay = 20ms;
        return r;
    });
    auto s = serve({"OLLAMA_URL=" + ollama.url(), "OLLAMA_MODEL=llama3.2", "LLM_PROVIDER=ollama"});
    std::string why;
    http::Client c(*http::parse_base_url(s->url(), why));
    http::Request req;
    req.method = "POST";
    req.target = "/api/v1/chat";
    req.headers = {{"content-type", "application/json"}};
    req.body = R"({"messages":[{"role":"user","content":"Why is the sky blue?"}],"stream":true})";
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::duration> first_token;
    std::string body;
    http::ResponseHead head;
    c.perform(
        req, t0 + 30s, nullptr, [&](const http::ResponseHead& h) { head = h; },
        [&](std::string_view piece) {
            body.append(piece);
            if (!first_token && body.find("event: token") != std::string::npos)
                first_token = std::chrono::steady_clock::now() - t0;
            return true;
        });
    const auto total = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(*head.find("content-type"), "text/event-stream");
    ASSERT_TRUE(first_token.has_value()) << body;
    EXPECT_LT(*first_token, total / 3) << "tokens were buffered instead of forwarded";
    EXPECT_GE(total, 900ms);
    // Every delta reassembles the fixture's text; then one done event with usage.
    std::string text;
    for (std::size_t at = 0; (at = body.find("event: token\ndata: ", at)) != std::string::npos;) {
        at += 19;
        auto end = body.find('\n', at);
        text += json::parse(body.substr(at, end - at)).at("delta").as_string();
    }
    auto manifest = json::parse(fixture_bytes("ollama/manifest.json"));
    EXPECT_EQ(text, manifest.at("entries").as_array()[0].at("expected").at("content").as_string());
    EXPECT_NE(body.find("event: done\ndata: {"), std::string::npos);
    EXPECT_NE(body.find("\"provider\":\"ollama\""), std::string::npos);
}

TEST_F(ServerProvidersTest, FallsBackFromADeadOllamaToClaude) {
    TestCerts certs;
    FixtureServer claude(FixtureServer::Tls{certs.path("server.pem"), certs.path("server.key")});
    claude.on("POST", "/v1/messages", [](const ReceivedRequest&) {
        FixtureResponse r;
        r.headers = {{"content-type", "application/json"}};
        r.body = fixture_bytes("anthropic/message_nonstream.json");
        return r;
    });
    claude.on("GET", "/v1/models", [](const ReceivedRequest&) {
        FixtureResponse r;
        r.body = fixture_bytes("anthropic/models_list_limit1.json");
        return r;
    });
    auto s = serve({"OLLAMA_URL=http://127.0.0.1:1", "LLM_PROVIDER=ollama", "LLM_FALLBACK_ORDER=claude",
                    "CLAUDE_API_KEY=sk-test", "CLAUDE_BASE_URL=" + claude.url(), "CLAUDE_CA_FILE=" + certs.ca()});
    auto r = s->post("/api/v1/chat", R"({"messages":[{"role":"user","content":"Why is the sky blue?"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto o = r.json().as_object();
    EXPECT_EQ(o.at("provider"), "claude");
    auto attempts = o.at("attempts").as_array();
    ASSERT_GE(attempts.size(), 2u);
    EXPECT_EQ(attempts[0].at("provider"), "ollama");
    EXPECT_NE(attempts[0].at("outcome"), "ok");
    EXPECT_EQ(attempts.back().at("provider"), "claude");
    EXPECT_EQ(claude.requests().back().headers.at("x-api-key"), "sk-test");
    EXPECT_EQ(s->log().find("sk-test"), std::string::npos);  // never logged
}

}  // namespace
}  // namespace autoarr::test
