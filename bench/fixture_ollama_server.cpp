// A standalone Ollama fixture server for load benchmarks: serves
// chat_nonstream.json (or chat_stream.ndjson, one line per write, for
// "stream":true) and tags.json on loopback. Prints its port, runs until
// stdin closes.
#include <iostream>
#include <string>

#include "support/fixture_server.h"

int main() {
    using namespace autoarr::test;
    FixtureServer server;
    const std::string nonstream = fixture_bytes("ollama/chat_nonstream.json");
    const std::string stream = fixture_bytes("ollama/chat_stream.ndjson");
    const std::string tags = fixture_bytes("ollama/tags.json");
    server.on("GET", "/api/tags", [&](const ReceivedRequest&) {
        FixtureResponse r;
        r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
        r.body = tags;
        return r;
    });
    server.on("POST", "/api/chat", [&](const ReceivedRequest& req) {
        FixtureResponse r;
        if (req.body.find("\"stream\":false") != std::string::npos) {
            r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
            r.body = nonstream;
            return r;
        }
        r.headers = {{"Content-Type", "application/x-ndjson"}};
        r.body = stream;
        r.chunked = true;
        r.pieces = plan_lines(stream);
        return r;
    });
    std::cout << server.port() << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    return 0;
}
