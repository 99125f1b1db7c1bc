// The Claude plugin against the TLS fixture server: requests/s and p50/p99
// at concurrency 1 and 16 with connection reuse, and the cost of a fresh TLS
// handshake (a new instance, so a new pool, per request) vs a reused one.
#include <cstdio>

#include "latency.h"
#include "support/fixture_server.h"
#include "support/provider_harness.h"
#include "support/test_certs.h"
#include "util/log.h"

int main() {
    using namespace autoarr;
    log::set_threshold(log::Level::error);
    test::TestCerts certs;
    test::FixtureServer server(test::FixtureServer::Tls{certs.path("server.pem"), certs.path("server.key")});
    const std::string body = test::fixture_bytes("anthropic/message_nonstream.json");
    server.on("POST", "/v1/messages", [&](const test::ReceivedRequest&) {
        test::FixtureResponse r;
        r.headers = {{"content-type", "application/json"}, {"request-id", "req_bench"}};
        r.body = body;
        return r;
    });
    auto plugin = test::builtin_plugin("claude");
    plugin->host_context().secret = [](std::string_view) -> std::optional<std::string> { return "sk-bench"; };
    const std::string config =
        R"({"base_url":")" + server.url() + R"(","ca_file":")" + certs.ca() + R"(","model":"claude-sonnet-4-5"})";
    const std::string request = test::chat_request("Why is the sky blue?");

    plugin::CallStatus st;
    auto inst = plugin::Instance::create(plugin, config, st);
    if (!inst) {
        std::fprintf(stderr, "cannot create the claude instance: %s\n", st.message.c_str());
        return 1;
    }
    auto reused = [&] {
        plugin::CallContext ctx;
        std::string out;
        return inst->complete(ctx, request, out).ok();
    };
    // Keep-alive off: every request opens a new TCP connection and does a full TLS handshake.
    std::string no_reuse = config;
    no_reuse.insert(no_reuse.size() - 1, R"(,"max_idle_connections":0)");
    auto fresh_inst = plugin::Instance::create(plugin, no_reuse, st);
    auto fresh = [&] {
        plugin::CallContext ctx;
        std::string out;
        return fresh_inst->complete(ctx, request, out).ok();
    };
    std::printf("Claude plugin against the loopback TLS fixture server (%zu-byte answer)\n", body.size());
    bench::measure(1, 200, reused);  // warm-up
    for (int c : {1, 16})
        bench::print("reused TLS connection (keep-alive)", c, bench::measure(c, c == 1 ? 3000 : 500, reused));
    auto f = bench::measure(1, 500, fresh);
    bench::print("fresh TCP + TLS handshake per request", 1, f);
    // Creating an instance loads the system CA store once (~tens of ms); it is
    // not part of a request, so it is timed on its own.
    auto created = bench::measure(1, 20, [&] {
        plugin::CallStatus s;
        return plugin::Instance::create(plugin, config, s) != nullptr;
    });
    std::printf("%-44s       p50 %8.1f us (once per instance: TLS context + system CA store)\n", "instance creation",
                created.p50_us);
    return 0;
}
