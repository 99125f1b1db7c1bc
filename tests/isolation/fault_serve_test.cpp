// The real `autoarr serve` with the eight fault fixtures in runners beside a
// good provider, over real sockets: for each fault the service keeps
// answering /health and serving the other provider, the failed call gets a
// typed error, and the reason is visible in /api/v1/providers and /metrics.
// Repeated crashes quarantine; POST /api/v1/providers/{id}/check retries.
#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "support/plugin_dir.h"
#include "support/raw_http.h"
#include "support/serve_process.h"
#include "support/temp_dir.h"

namespace autoarr::test {
namespace {

using namespace std::chrono_literals;

std::string chat(const std::string& provider, const std::string& content, bool stream = false) {
    return R"({"provider":")" + provider + R"(","messages":[{"role":"user","content":")" + content + R"("}])" +
           (stream ? R"(,"stream":true)" : "") + "}";
}

std::optional<boost::json::object> provider_view(const Reply& r, const std::string& id) {
    const boost::json::value all = r.json();
    for (const auto& p : all.as_array())
        if (p.at("id").as_string() == id) return p.as_object();
    return std::nullopt;
}

class FaultServeTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        for (const char* kind : {"segv", "abort", "loop", "alloc", "exit", "close", "frame", "thread"})
            install_fixture(dir_->path() / "plugins", std::string("fault-") + kind,
                            std::string("fixture_fault_") + kind, std::string("fault-") + kind);
        install_fixture(dir_->path() / "plugins", "script-a", "fixture_script_a", "script-a");
        write_file(dir_->path() / "config.json", R"({"routing": {"provider": "script-a", "fallback_enabled": false},
            "plugins": {"runner": {"kill_grace_ms": 100, "restart_backoff_ms": 20, "max_restart_backoff_ms": 40,
                                   "quarantine_after": 3, "memory_limit_mb": 512}}})");
        serve_ = new Serve(dir_->path() / "autoarr.db", {},
                           {"--no-builtin-plugins", "--plugin-dir", (dir_->path() / "plugins").string(), "--config",
                            (dir_->path() / "config.json").string()});
    }
    static void TearDownTestSuite() {
        delete serve_;
        delete dir_;
    }
    // The service is whole: /health answers and the good provider serves.
    static void expect_service_whole() {
        auto h = serve_->get("/health");
        EXPECT_EQ(h.status, 200) << h.body;
        auto ok = serve_->post("/api/v1/chat", chat("script-a", "hello"));
        EXPECT_EQ(ok.status, 200) << ok.body;
        EXPECT_NE(ok.body.find("script-a"), std::string::npos) << ok.body;
    }
    static void expect_fault(const std::string& id, const std::string& reason, bool stream = false) {
        auto r = serve_->post("/api/v1/chat", chat(id, "trigger-fault", stream));
        if (!stream) {
            EXPECT_GE(r.status, 500) << r.body;
        }
        EXPECT_NE(r.body.find(reason), std::string::npos) << r.body;
        auto providers = serve_->get("/api/v1/providers");
        const auto v = provider_view(providers, id);
        ASSERT_TRUE(v) << providers.body;
        EXPECT_GE(v->at("runner_crashes").as_int64(), 1) << providers.body;
        expect_service_whole();
        wait_until_healthy(id);  // restarted after its backoff, and seen by the next health check
        auto again = serve_->post("/api/v1/chat", chat(id, "hello"));
        EXPECT_EQ(again.status, 200) << again.body;
    }
    // The endless loop: the request's deadline is minutes away, so the client
    // hangs up instead; the service cancels, the plugin ignores it and is killed.
    static void expect_loop_killed_when_the_client_leaves() {
        {
            RawSocket client(serve_->port());
            const std::string body = chat("fault-loop", "trigger-fault");
            client.send(
                "POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Content-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body);
            std::this_thread::sleep_for(200ms);
        }
        // The runner is restarted 20 ms after the kill, so "reason" is shown only
        // briefly; "last_runner_failure" stays.
        std::string reason;
        for (int i = 0; i < 60 && reason.find("ignored its cancellation") == std::string::npos; ++i) {
            std::this_thread::sleep_for(50ms);
            const auto v = provider_view(serve_->get("/api/v1/providers"), "fault-loop");
            if (v && v->contains("last_runner_failure")) reason = std::string(v->at("last_runner_failure").as_string());
        }
        EXPECT_NE(reason.find("complete ignored its cancellation for 100 ms; was killed by signal 9"),
                  std::string::npos)
            << reason;
        expect_service_whole();
        wait_until_healthy("fault-loop");
    }
    static void wait_until_healthy(const std::string& id) {
        for (int i = 0; i < 40; ++i) {
            const auto v = provider_view(serve_->get("/api/v1/providers"), id);
            if (v && v->at("state").as_string() == "healthy") return;
            std::this_thread::sleep_for(50ms);
        }
        ADD_FAILURE() << id << " did not become healthy again";
    }
    static TempDir* dir_;
    static Serve* serve_;
};
TempDir* FaultServeTest::dir_ = nullptr;
Serve* FaultServeTest::serve_ = nullptr;

TEST_F(FaultServeTest, EveryFaultIsATypedErrorAndTheServiceStaysWhole) {
    expect_service_whole();
    expect_fault("fault-segv", "SIGSEGV");
    expect_fault("fault-exit", "exited with status 0 during complete");
    expect_fault("fault-close", "closed its channel");
    expect_fault("fault-frame", "malformed frame");
    expect_loop_killed_when_the_client_leaves();
    expect_fault("fault-alloc", "during complete");
    // Streaming: the two deltas sent before the abort reach the client, then the error.
    expect_fault("fault-abort", "SIGABRT", /*stream=*/true);
    auto s = serve_->post("/api/v1/chat", chat("fault-abort", "trigger-fault", true));
    EXPECT_NE(s.body.find("first "), std::string::npos) << s.body;
    EXPECT_NE(s.body.find("second "), std::string::npos) << s.body;
    // A leaked thread stays in its runner: the call succeeds and nothing else changes.
    auto t = serve_->post("/api/v1/chat", chat("fault-thread", "trigger-fault"));
    EXPECT_EQ(t.status, 200) << t.body;
    expect_service_whole();
}

TEST_F(FaultServeTest, RepeatedCrashesQuarantineVisiblyUntilACheckRetries) {
    for (int i = 0; i < 3; ++i) {
        wait_until_healthy("fault-segv");
        auto r = serve_->post("/api/v1/chat", chat("fault-segv", "trigger-fault"));
        EXPECT_NE(r.body.find("SIGSEGV"), std::string::npos) << r.body;
    }
    auto providers = serve_->get("/api/v1/providers");
    const auto v = provider_view(providers, "fault-segv");
    ASSERT_TRUE(v) << providers.body;
    EXPECT_EQ(v->at("state").as_string(), "quarantined") << providers.body;
    EXPECT_NE(std::string(v->at("reason").as_string()).find("quarantined after 3 runner failures"), std::string::npos)
        << providers.body;
    auto metrics = serve_->get("/metrics");
    EXPECT_NE(metrics.body.find(R"(autoarr_provider_quarantined{provider="fault-segv",reason="SIGSEGV"} 1)"),
              std::string::npos)
        << metrics.body;
    expect_service_whole();
    auto refused = serve_->post("/api/v1/chat", chat("fault-segv", "hello"));
    EXPECT_NE(refused.body.find("quarantined"), std::string::npos) << refused.body;

    // `plugins list` shows it too, from the service's store.
    // (The service stores the transition at its next health check: up to one interval, 0.2 s.)
    ProcessResult list;
    for (int i = 0; i < 20 && list.out.find("service_state") == std::string::npos; ++i) {
        std::this_thread::sleep_for(100ms);
        list = run_process(shell_quote(AUTOARR_BINARY) + " --log-level warn plugins list --json --no-builtin-plugins" +
                           " --db " + shell_quote((dir_->path() / "autoarr.db").string()) + " --plugin-dir " +
                           shell_quote((dir_->path() / "plugins").string()));
    }
    EXPECT_NE(list.out.find(R"("id":"fault-segv")"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find(R"("service_state":"quarantined","service_reason":"quarantined after 3 runner failures)"),
              std::string::npos)
        << list.out;

    auto check = serve_->post("/api/v1/providers/fault-segv/check", "");
    EXPECT_EQ(check.status, 200) << check.body;
    wait_until_healthy("fault-segv");
    auto served = serve_->post("/api/v1/chat", chat("fault-segv", "hello"));
    EXPECT_EQ(served.status, 200) << served.body;
}

}  // namespace
}  // namespace autoarr::test
