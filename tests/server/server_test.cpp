// `autoarr serve`, the real binary, over real sockets.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <sstream>
#include <thread>

#include "http/client.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "support/child_process.h"
#include "support/fixture_server.h"
#include "support/loopback_http.h"
#include "support/ollama_sim.h"
#include "support/plugin_dir.h"
#include "support/raw_http.h"
#include "support/run_process.h"
#include "support/serve_process.h"
#include "support/test_certs.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

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
    std::unique_ptr<Serve> serve(std::vector<std::string> env = {}, std::vector<std::string> extra = {},
                                 std::vector<std::string> wrapper = {}) {
        std::vector<std::string> args = {"--no-builtin-plugins", "--plugin-dir", plugins_.path().string(), "--config",
                                         (dir_.path() / "config.json").string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return std::make_unique<Serve>(dir_.path() / "autoarr.db", std::move(env), args, std::move(wrapper));
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
    // The stored audit is the one answered; its enrichment may have moved on meanwhile.
    EXPECT_EQ(got.json().at("audit_id"), audit.at("audit_id"));
    EXPECT_EQ(got.json().at("findings").as_array().size(), 91u);
    EXPECT_EQ(got.json().at("created_at"), audit.at("created_at"));
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

// Every line of a Markdown report but the ones that name when and how it ran.
std::string markdown_body(const std::string& md) {
    std::istringstream in(md);
    std::string line, out;
    while (std::getline(in, line))
        if (!line.starts_with("**Score:") && !line.starts_with("**Explained:") && !line.starts_with("> "))
            out += line + "\n";
    return out;
}

TEST_F(ServerTest, AStoredAuditRendersAsTheCliMarkdownAndTheListCountsSeverities) {
    // No provider: rules-only, as the CLI's --no-llm.
    auto s = std::make_unique<Serve>(dir_.path() / "autoarr.db", std::vector<std::string>{},
                                     std::vector<std::string>{"--no-builtin-plugins"});
    auto r = s->post("/api/v1/audits", sample_documents());
    ASSERT_EQ(r.status, 201) << r.body;
    const auto audit = r.json().as_object();
    const std::string id(audit.at("audit_id").as_string());
    auto md = s->get("/api/v1/audits/" + id + "?format=markdown");
    ASSERT_EQ(md.status, 200) << md.body;
    EXPECT_EQ(*md.head.find("content-type"), "text/markdown; charset=utf-8");
    EXPECT_TRUE(md.body.starts_with("# AutoArr audit\n\n**Score:** " + std::to_string(audit.at("score").as_int64()) +
                                    "/100 · **Findings:** 91"))
        << md.body.substr(0, 200);
    const auto cli = run_process(std::string(AUTOARR_BINARY) + " --log-level error audit --from " + AUTOARR_SOURCE_DIR +
                                 "/examples/sample-stack --no-llm --format markdown");
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    EXPECT_EQ(markdown_body(md.body), markdown_body(cli.out));
    EXPECT_EQ(s->get("/api/v1/audits/" + id + "?format=json").body, s->get("/api/v1/audits/" + id).body);
    auto bad = s->get("/api/v1/audits/" + id + "?format=xml");
    EXPECT_EQ(bad.status, 422);
    EXPECT_EQ(bad.json().at("error").at("code"), "invalid_query");
    EXPECT_EQ(s->get("/api/v1/audits/nope?format=markdown").status, 404);

    const auto listed = s->get("/api/v1/audits").json().at("audits").as_array()[0].as_object();
    EXPECT_EQ(listed.at("summary"), audit.at("summary"));
    EXPECT_EQ(listed.at("summary").at("critical"), 5);
}

TEST_F(ServerTest, PluginsAndSourcesAreListed) {
    install_fixture(plugins_.path(), "m", "fixture_missing_slot", "missing-slot");
    {
        auto s = serve({}, {"--sample-stack", std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack"});
        auto plugins = s->get("/api/v1/plugins");
        ASSERT_EQ(plugins.status, 200);
        std::map<std::string, json::object> by_id;
        const auto listed = plugins.json();
        for (const auto& p : listed.at("plugins").as_array())
            by_id[std::string(p.at("id").as_string())] = p.as_object();
        ASSERT_TRUE(by_id.contains("script-a")) << plugins.body;
        EXPECT_EQ(by_id["script-a"].at("state"), "loaded");
        ASSERT_TRUE(by_id.contains("missing-slot")) << plugins.body;
        EXPECT_EQ(by_id["missing-slot"].at("state"), "rejected");
        EXPECT_EQ(by_id["missing-slot"].at("rule"), "ABI-10");
        EXPECT_NE(std::string(by_id["missing-slot"].at("reason").as_string()).find("NULL"), std::string::npos);
        EXPECT_EQ(s->get("/api/v1/sources").json(), json::parse(R"({"sources":[{"id":"sample"}]})"));
        EXPECT_EQ(s->post("/api/v1/plugins", "{}").status, 405);
    }
    auto s = serve({"SONARR_URL=http://127.0.0.1:1", "SONARR_API_KEY=k"});
    EXPECT_EQ(s->get("/api/v1/sources").json(),
              json::parse(R"({"sources":[{"id":"live","applications":["sonarr"]}]})"));
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
    for (const char* bad : {"-1", "abc", "100001"}) {
        auto r = serve_with(std::string("--max-queue ") + bad);
        EXPECT_EQ(r.exit_code, 2) << bad;
        EXPECT_NE(r.err.find("--max-queue must be a whole number from 0 to 100000"), std::string::npos) << r.err;
    }
    for (const char* bad : {"15", "x"}) {
        auto r = serve_with(std::string("--max-connections ") + bad);
        EXPECT_EQ(r.exit_code, 2) << bad;
        EXPECT_NE(r.err.find("--max-connections must be a whole number from 16"), std::string::npos) << r.err;
    }
    auto rt = serve_with("--response-timeout 0.5");
    EXPECT_EQ(rt.exit_code, 2);
    EXPECT_NE(rt.err.find("--response-timeout must be a number of seconds from 1"), std::string::npos) << rt.err;
    for (const char* bad : {"evil.example", "https://dash.example/", "ftp://x"}) {
        auto r = serve_with(std::string("--allowed-origin ") + bad);
        EXPECT_EQ(r.exit_code, 2) << bad;
        EXPECT_NE(r.err.find("is not scheme://host[:port]"), std::string::npos) << r.err;
    }
}

// Issue #13, part 2: a page the user visits posts to 127.0.0.1 with
// Content-Type: text/plain, a foreign Host (DNS rebinding) and a foreign
// Origin. That was a 201: a live audit started by any web page.
// The page's POST on a raw socket (http::Client sets Host itself): the whole answer.
std::string post_raw(uint16_t port, const std::string& headers, const std::string& body) {
    RawSocket c(port);
    c.send("POST /api/v1/audits HTTP/1.1\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body);
    return c.read_until_closed(30s);
}

TEST_F(ServerTest, AHostileWebPageCannotStartAnAudit) {
    auto s = serve();
    const std::string body = sample_documents();
    const std::string page = "Content-Type: text/plain\r\nOrigin: http://evil.example\r\n";
    auto rebinding = post_raw(s->port(), "Host: evil.example:" + std::to_string(s->port()) + "\r\n" + page, body);
    EXPECT_EQ(status_of(rebinding), 421) << rebinding;
    EXPECT_NE(rebinding.find("--allowed-host"), std::string::npos) << rebinding;
    EXPECT_EQ(status_of(post_raw(s->port(), "Host: 127.0.0.1\r\n" + page, body)), 403);
    EXPECT_EQ(status_of(post_raw(s->port(), "Host: 127.0.0.1\r\nContent-Type: text/plain\r\n", body)), 415);
    EXPECT_EQ(s->get("/api/v1/audits").json().at("total"), 0);  // nothing started
    // A preflight is not answered (no --allowed-origin): the origin rule refuses it.
    RawSocket pre(s->port());
    pre.send(
        "OPTIONS /api/v1/audits HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
        "Access-Control-Request-Method: POST\r\n\r\n");
    const std::string answer = pre.read_until_closed(10s);
    EXPECT_EQ(status_of(answer), 403) << answer;
    EXPECT_EQ(answer.find("Access-Control-Allow"), std::string::npos) << answer;
    EXPECT_NE(s->log().find("rule origin"), std::string::npos);  // one line per refusal, naming the rule
}

TEST_F(ServerTest, AllowedHostsAndOriginsComeFromFlagsAndTheEnvironment) {
    auto s = serve({"AUTOARR_ALLOWED_HOSTS=autoarr.lan, nas.lan", "AUTOARR_ALLOWED_ORIGINS=https://dash.example"},
                   {"--allowed-host", "media.lan", "--allowed-origin", "http://media.lan:3000"});
    const std::string body = sample_documents();
    const std::string json = "Content-Type: application/json\r\n";
    for (const char* host : {"autoarr.lan", "nas.lan", "media.lan", "localhost"})
        EXPECT_EQ(status_of(post_raw(s->port(), std::string("Host: ") + host + "\r\n" + json, body)), 201) << host;
    EXPECT_EQ(status_of(post_raw(s->port(), "Host: other.lan\r\n" + json, body)), 421);
    for (const char* origin : {"https://dash.example", "http://media.lan:3000"}) {
        auto r = post_raw(s->port(), "Host: 127.0.0.1\r\nOrigin: " + std::string(origin) + "\r\n" + json, body);
        EXPECT_EQ(status_of(r), 201) << origin;
        EXPECT_NE(r.find(std::string("Access-Control-Allow-Origin: ") + origin), std::string::npos) << r;
    }
}

// Issue #13, part 3: clients that post and leave after 0.2 s used to keep
// their provider calls running (and the queued ones started later). Now a
// running call is cancelled through its token and a queued one never
// starts, so the slots are free again at once.
TEST_F(ServerTest, ClientsThatLeaveFreeTheirSlots) {
    write_file(dir_.path() / "config.json",
               R"({"routing": {"provider": "script-a", "fallback_order": ["script-b"]},
                   "providers": {"script-a": {"hang": true}}})");
    auto s = serve({}, {"--workers", "2"});
    {
        std::vector<RawSocket> leaving;
        const std::string chat = R"({"messages":[{"role":"user","content":"hi"}]})";
        for (int i = 0; i < 8; ++i) {
            leaving.emplace_back(s->port());
            leaving.back().send(
                "POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Content-Length: " +
                std::to_string(chat.size()) + "\r\n\r\n" + chat);
        }
        std::this_thread::sleep_for(200ms);
    }
    // A provider check needs a slot too: it is answered now, not after the hung calls' deadline (120 s).
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(s->post("/api/v1/providers/script-b/check", "").status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_NE(s->log().find("not started: its client has gone"), std::string::npos) << s->log();
}

// Issue #13, part 3: under a soft open-file limit of 128 (systemd's 1024,
// scaled down), idle sockets used to take /health down.
TEST_F(ServerTest, IdleSocketsCannotTakeHealthDown) {
    auto s = serve({}, {}, {"sh", "-c", "ulimit -Sn 128 && exec \"$0\" \"$@\""});
    std::vector<RawSocket> idle;
    for (int i = 0; i < 300; ++i) idle.emplace_back(s->port());
    auto h = s->get("/health");
    EXPECT_EQ(h.status, 200) << h.body;
    const auto limits = read_file("/proc/" + std::to_string(s->process().pid()) + "/limits");
    const auto line = limits.substr(limits.find("Max open files"));
    std::istringstream fields(line.substr(std::string("Max open files").size()));
    std::string soft, hard;
    fields >> soft >> hard;
    EXPECT_EQ(soft, hard) << line;  // raised to the hard limit at start
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

// ---- Progressive results: 201 at once, explanations in the background ----

json::object wait_for_enrichment(Serve& s, const std::string& id, const std::function<bool(const json::object&)>& done,
                                 std::chrono::seconds limit = 60s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    json::object last;
    while (std::chrono::steady_clock::now() < until) {
        last = s.get("/api/v1/audits/" + id).json().as_object();
        if (done(last.at("enrichment").as_object())) return last;
        std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "the enrichment did not get there: " << json::serialize(last.at("enrichment"));
    return last;
}

TEST_F(ServerProvidersTest, AnAuditIsAnsweredAtOnceAndExplainedInTheBackground) {
    OllamaSimProfile p;
    p.model_max_context = 4096;
    p.generated_tokens_per_s = 4000;  // about 2 s for the whole sample
    OllamaSim sim(p);
    auto s = serve({"OLLAMA_URL=" + sim.url(), "OLLAMA_MODEL=qwen2.5:7b", "LLM_PROVIDER=ollama"});
    const auto t0 = std::chrono::steady_clock::now();
    auto r = s->post("/api/v1/audits", sample_documents());
    const auto answered = std::chrono::steady_clock::now() - t0;
    ASSERT_EQ(r.status, 201) << r.body;
    auto first = r.json().as_object();
    EXPECT_EQ(first.at("enrichment").at("state"), "running");
    EXPECT_EQ(first.at("enrichment").at("total"), 91);
    EXPECT_LT(answered, 1500ms) << "the 201 waited for the model";
    const std::string id(first.at("audit_id").as_string());
    EXPECT_LT(sim.chats().size(), 13u);  // not finished when the 201 came

    auto done = wait_for_enrichment(*s, id, [](const json::object& e) { return e.at("state") != "running"; });
    EXPECT_EQ(done.at("enrichment").at("state"), "complete");
    EXPECT_EQ(done.at("enrichment").at("explained"), 91);
    EXPECT_EQ(done.at("mode"), "llm");
    EXPECT_EQ(done.at("provider"), "ollama");
    EXPECT_EQ(sim.max_parallel(), 1);
    auto list = s->get("/api/v1/audits").json().as_object();
    EXPECT_EQ(list.at("audits").as_array()[0].at("enrichment_state"), "complete");

    // The same stack again: the explanation cache answers, the model is not asked.
    const auto calls = sim.chats().size();
    auto again = s->post("/api/v1/audits", sample_documents()).json().as_object();
    auto cached = wait_for_enrichment(*s, std::string(again.at("audit_id").as_string()),
                                      [](const json::object& e) { return e.at("state") != "running"; });
    EXPECT_EQ(cached.at("enrichment").at("cached"), 91);
    EXPECT_EQ(cached.at("enrichment").at("model_calls"), 0);
    EXPECT_EQ(sim.chats().size(), calls);
}

TEST_F(ServerProvidersTest, ARestartInTheMiddleOfAnEnrichmentLosesNothingExplained) {
    OllamaSimProfile p;
    p.model_max_context = 4096;
    OllamaSim sim(p);
    sim.hang_from(4);  // three batches are answered, the fourth never is
    auto db = dir_.path() / "autoarr.db";
    std::string id;
    json::value explained_before;
    int64_t explained = 0;
    {
        auto s = serve({"OLLAMA_URL=" + sim.url(), "OLLAMA_MODEL=qwen2.5:7b", "LLM_PROVIDER=ollama"});
        auto r = s->post("/api/v1/audits", sample_documents());
        ASSERT_EQ(r.status, 201) << r.body;
        id = std::string(r.json().at("audit_id").as_string());
        auto mid = wait_for_enrichment(*s, id, [](const json::object& e) { return e.at("batches_done") == 3; });
        EXPECT_EQ(mid.at("enrichment").at("state"), "running");
        explained = mid.at("enrichment").at("explained").as_int64();
        EXPECT_GT(explained, 0);
        explained_before = mid.at("findings");
        s->kill9();
        s->process().stop();  // reaps it (already dead)
    }
    auto s = serve({"OLLAMA_URL=http://127.0.0.1:1", "LLM_PROVIDER=ollama"});
    auto after = s->get("/api/v1/audits/" + id).json().as_object();
    EXPECT_EQ(after.at("enrichment").at("state"), "partial");
    EXPECT_EQ(after.at("enrichment").at("explained"), explained);
    EXPECT_NE(std::string(after.at("enrichment").at("not_explained_reason").as_string()).find("interrupted"),
              std::string::npos);
    EXPECT_EQ(after.at("findings"), explained_before);  // every explanation is still there
    EXPECT_EQ(s->get("/api/v1/audits").json().at("audits").as_array()[0].at("enrichment_state"), "partial");
}

TEST_F(ServerProvidersTest, TheStreamedAuditSendsAnEventPerExplainedBatch) {
    OllamaSimProfile p;
    p.model_max_context = 4096;
    OllamaSim sim(p);
    auto s = serve({"OLLAMA_URL=" + sim.url(), "OLLAMA_MODEL=qwen2.5:7b", "LLM_PROVIDER=ollama"});
    auto sse = s->post("/api/v1/audits", sample_documents(), {{"accept", "text/event-stream"}});
    ASSERT_EQ(sse.status, 200);
    const auto audit_at = sse.body.find("event: audit\ndata: {");
    const auto first_batch = sse.body.find("event: explained\ndata: {");
    const auto result_at = sse.body.find("event: result\ndata: {");
    ASSERT_NE(audit_at, std::string::npos) << sse.body.substr(0, 300);
    ASSERT_NE(first_batch, std::string::npos);
    ASSERT_NE(result_at, std::string::npos);
    EXPECT_LT(audit_at, first_batch);
    EXPECT_LT(first_batch, result_at);
    std::size_t events = 0;
    for (auto at = sse.body.find("event: explained"); at != std::string::npos;
         at = sse.body.find("event: explained", at + 1))
        ++events;
    EXPECT_EQ(events, sim.chats().size());
    auto result = json::parse(sse.body.substr(result_at + 20, sse.body.find('\n', result_at + 20) - result_at - 20));
    EXPECT_EQ(result.at("enrichment").at("explained"), 91);
}

TEST_F(ServerProvidersTest, AStreamedAuditWhoseClientLeavesStopsAskingTheModel) {
    OllamaSimProfile p;
    p.model_max_context = 4096;
    p.generated_tokens_per_s = 400;  // about a second per batch
    OllamaSim sim(p);
    auto s = serve({"OLLAMA_URL=" + sim.url(), "OLLAMA_MODEL=qwen2.5:7b", "LLM_PROVIDER=ollama"});
    const std::string body = sample_documents();
    std::string id;
    {
        RawSocket c(s->port());
        ASSERT_TRUE(
            c.send("POST /api/v1/audits HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   "Accept: text/event-stream\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body));
        std::string got;
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (got.find("event: explained") == std::string::npos && std::chrono::steady_clock::now() < until) {
            if (!c.readable(100ms)) continue;
            char buf[65536];
            const ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
            if (n <= 0) break;
            got.append(buf, static_cast<std::size_t>(n));
        }
        ASSERT_NE(got.find("event: explained"), std::string::npos) << got.substr(0, 300);
        const auto at = got.find("\"audit_id\":\"");
        ASSERT_NE(at, std::string::npos);
        id = got.substr(at + 12, got.find('"', at + 12) - at - 12);
    }  // the client leaves after the first batch
    auto stored = wait_for_enrichment(*s, id, [](const json::object& e) { return e.at("state") != "running"; });
    const int calls = sim.chats_started();
    EXPECT_LT(calls, 5) << "the model kept being asked for a client that left";
    EXPECT_EQ(stored.at("enrichment").at("state"), "partial");
    EXPECT_NE(std::string(stored.at("enrichment").at("not_explained_reason").as_string()).find("client went away"),
              std::string::npos)
        << json::serialize(stored.at("enrichment"));
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(sim.chats_started(), calls);  // no request after the cancel
}

}  // namespace
}  // namespace autoarr::test
