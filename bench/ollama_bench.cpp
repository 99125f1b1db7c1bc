// The Ollama plugin alone (no host HTTP server) against the fixture server
// with no delay, compared with a raw keep-alive HTTP request to the same
// server: requests/s and p50/p99 for non-streaming chat at concurrency 1 and
// 16, and time to first token when streaming.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>

#include "latency.h"
#include "support/fixture_server.h"
#include "support/provider_harness.h"
#include "util/log.h"

namespace {

using namespace autoarr;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = boost::asio::ip::tcp;

const std::string kRequest = R"({"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}]})";

// One raw keep-alive connection per thread: the baseline.
bool raw_request(uint16_t port, const std::string& body) {
    thread_local boost::asio::io_context io;
    thread_local std::unique_ptr<beast::tcp_stream> stream;
    thread_local beast::flat_buffer buffer;
    if (!stream) {
        stream = std::make_unique<beast::tcp_stream>(io);
        stream->connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
        stream->socket().set_option(tcp::no_delay(true));
    }
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/api/chat", 11};
    req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    bhttp::write(*stream, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(*stream, buffer, res);
    return res.result_int() == 200 && !res.body().empty();
}

}  // namespace

int main() {
    log::set_threshold(log::Level::error);
    test::FixtureServer server;
    const std::string nonstream = test::fixture_bytes("ollama/chat_nonstream.json");
    const std::string stream = test::fixture_bytes("ollama/chat_stream.ndjson");
    server.on("POST", "/api/chat", [&](const test::ReceivedRequest& r) {
        test::FixtureResponse out;
        out.headers = {{"Content-Type", "application/json; charset=utf-8"}};
        out.body = nonstream;
        if (r.body.find("\"stream\":true") != std::string::npos) {
            out.headers = {{"Content-Type", "application/x-ndjson"}};
            out.body = stream;
            out.chunked = true;
            // one write per NDJSON line, as Ollama flushes them
            std::size_t at = 0;
            for (std::size_t lf; (lf = stream.find('\n', at)) != std::string::npos; at = lf + 1)
                out.pieces.push_back(lf + 1 - at);
        }
        return out;
    });

    auto plugin = test::builtin_plugin("ollama");
    plugin::CallStatus st;
    auto inst = plugin::Instance::create(plugin, R"({"url":")" + server.url() + R"(","model":"llama3.2"})", st);
    if (!inst) {
        std::fprintf(stderr, "cannot create the ollama instance: %s\n", st.message.c_str());
        return 1;
    }
    const std::string raw_body =
        R"({"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}],"stream":false})";

    std::printf("Ollama plugin vs raw HTTP against the loopback fixture server (%zu-byte answer)\n", nonstream.size());
    for (int c : {1, 16}) {
        const int n = c == 1 ? 4000 : 1000;
        bench::measure(c, 200, [&] { return raw_request(server.port(), raw_body); });  // warm-up
        auto raw = bench::measure(c, n, [&] { return raw_request(server.port(), raw_body); });
        auto plug = bench::measure(c, n, [&] {
            plugin::CallContext ctx;
            std::string out;
            return inst->complete(ctx, kRequest, out).ok();
        });
        bench::print("raw HTTP (Beast, keep-alive)", c, raw);
        bench::print("plugin complete() through the C ABI", c, plug);
        std::printf("%-44s c=%-3d added p50 %8.1f us   added p99 %8.1f us\n", "=> added by the plugin", c,
                    plug.p50_us - raw.p50_us, plug.p99_us - raw.p99_us);
    }

    // Time to first token: from the call to the first TEXT_DELTA event.
    std::vector<double> ttft;
    for (int i = 0; i < 2000; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        bool first = true;
        plugin::CallContext ctx;
        inst->stream(ctx, kRequest, [&](uint32_t kind, std::string_view) {
            if (kind == AUTOARR_EVENT_TEXT_DELTA && first) {
                first = false;
                ttft.push_back(
                    std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
            }
            return true;
        });
    }
    std::sort(ttft.begin(), ttft.end());
    std::printf("%-44s       p50 %8.1f us   p99 %8.1f us\n", "streaming time to first token", ttft[ttft.size() / 2],
                ttft[ttft.size() * 99 / 100]);
    return 0;
}
