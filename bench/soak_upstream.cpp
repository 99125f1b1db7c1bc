// The upstream for bench/soak.sh: an Ollama on loopback (the simulated one,
// tests/support/ollama_sim.h, so audits get real explanations) that injects
// the faults a chat request asks for, and a port that refuses connections
// (where the soak points Claude). A request whose messages say
// "fault:<kind>:<id>" gets, the first time that id is seen:
//   500      an HTTP 500 with Ollama's error body;
//   429      an HTTP 429 with Retry-After: 1;
//   drop     the NDJSON stream cut in the middle (the connection closes);
// and every time:
//   slow     the stream with 100 ms between tokens.
// A retry (the router's) of the same id is answered normally. Prints
// "<ollama port> <refusing port>", runs until stdin closes.
#include <boost/asio.hpp>
#include <iostream>
#include <mutex>
#include <set>
#include <string>

#include "support/ollama_sim.h"

using namespace autoarr::test;

namespace {

// A port nothing listens on: bound, then closed, so connecting is refused.
uint16_t refusing_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

FixtureResponse stream_fixture(const std::string& ndjson) {
    FixtureResponse r;
    r.headers = {{"Content-Type", "application/x-ndjson"}};
    r.body = ndjson;
    r.chunked = true;
    r.pieces = plan_lines(ndjson);
    return r;
}

}  // namespace

int main() {
    OllamaSim sim;  // instant: the soak measures the host, not a model
    sim.server().record_requests(false);
    const std::string stream = fixture_bytes("ollama/chat_stream.ndjson");
    std::mutex seen_mutex;  // guards seen
    std::set<std::string> seen;

    sim.server().on("POST", "/api/chat", [&](const ReceivedRequest& req) {
        const auto at = req.body.find("fault:");
        if (at == std::string::npos) return sim.chat(req);
        const auto end = req.body.find_first_of("\" \\", at);
        const std::string marker = req.body.substr(at + 6, end == std::string::npos ? end : end - at - 6);
        const std::string kind = marker.substr(0, marker.find(':'));
        if (kind == "slow") {
            auto r = stream_fixture(stream);
            r.piece_delay = std::chrono::milliseconds(100);
            return r;
        }
        {
            std::lock_guard lock(seen_mutex);
            if (!seen.insert(marker).second) return sim.chat(req);  // the retry: answered normally
        }
        FixtureResponse r;
        r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
        if (kind == "500") {
            r.status = 500;
            r.body = R"({"error":"llama runner process has terminated: injected fault"})";
        } else if (kind == "429") {
            r.status = 429;
            r.headers.emplace_back("Retry-After", "1");
            r.body = R"j({"error":"server busy, please try again (injected fault)"})j";
        } else if (kind == "drop") {
            r = stream_fixture(stream);
            r.drop_at = stream.size() / 2;
        } else {
            return sim.chat(req);
        }
        return r;
    });
    std::cout << sim.server().port() << " " << refusing_port() << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    return 0;
}
