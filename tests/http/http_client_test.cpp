// The plugins' HTTP client against a real loopback server: the request it
// writes (by hand, see client.cpp), header injection refused before any byte
// is sent, and connection reuse.
#include <gtest/gtest.h>

#include "http/client.h"
#include "support/fixture_server.h"

namespace autoarr::test {
namespace {

using namespace std::chrono_literals;

http::Client client_for(const FixtureServer& s, const std::string& prefix = "") {
    std::string why;
    return http::Client(*http::parse_base_url(s.url() + prefix, why));
}

http::Request post(std::vector<http::Header> headers, std::string body) {
    http::Request r;
    r.method = "POST";
    r.target = "/api/chat";
    r.headers = std::move(headers);
    r.body = std::move(body);
    return r;
}

TEST(HttpClientTest, WritesTheRequestLineHeadersAndBody) {
    FixtureServer server;
    server.on("POST", "/base/api/chat", [](const ReceivedRequest& r) {
        FixtureResponse res;
        res.body = r.body;
        return res;
    });
    auto c = client_for(server, "/base");
    auto [head, body] = c.fetch(post({{"content-type", "application/json"}, {"x-api-key", "k"}}, R"({"a":1})"),
                                std::chrono::steady_clock::now() + 5s, nullptr);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(body, R"({"a":1})");
    auto got = server.requests().at(0);
    EXPECT_EQ(got.method, "POST");
    EXPECT_EQ(got.target, "/base/api/chat");
    EXPECT_EQ(got.headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(got.headers.at("content-length"), "7");
    EXPECT_EQ(got.headers.at("content-type"), "application/json");
    EXPECT_EQ(got.headers.at("x-api-key"), "k");
    EXPECT_EQ(got.headers.at("user-agent"), "autoarr");
}

TEST(HttpClientTest, AnEmptyPostStillSaysContentLengthZero) {
    FixtureServer server;
    server.on("POST", "/api/chat", [](const ReceivedRequest&) { return FixtureResponse{}; });
    auto c = client_for(server);
    c.fetch(post({}, ""), std::chrono::steady_clock::now() + 5s, nullptr);
    EXPECT_EQ(server.requests().at(0).headers.at("content-length"), "0");
}

TEST(HttpClientTest, ALineBreakInAHeaderIsRefusedBeforeAnythingIsSent) {
    FixtureServer server;
    auto c = client_for(server);
    for (auto bad : {http::Header{"x-api-key", "k\r\nx-evil: 1"}, http::Header{"x-a\nb", "v"}})
        EXPECT_THROW(c.fetch(post({bad}, "{}"), std::chrono::steady_clock::now() + 5s, nullptr), std::invalid_argument);
    http::Request spaced = post({}, "{}");
    spaced.target = "/api/chat HTTP/1.0\r\n";
    EXPECT_THROW(c.fetch(spaced, std::chrono::steady_clock::now() + 5s, nullptr), std::invalid_argument);
    EXPECT_EQ(server.connections(), 0u);
    EXPECT_TRUE(server.requests().empty());
}

TEST(HttpClientTest, KeptAliveConnectionsAreReused) {
    FixtureServer server;
    server.on("POST", "/api/chat", [](const ReceivedRequest&) { return FixtureResponse{}; });
    auto c = client_for(server);
    for (int i = 0; i < 5; ++i) c.fetch(post({}, "{}"), std::chrono::steady_clock::now() + 5s, nullptr);
    EXPECT_EQ(c.connections_opened(), 1u);
    EXPECT_EQ(server.connections(), 1u);
    EXPECT_EQ(server.requests().size(), 5u);
}

}  // namespace
}  // namespace autoarr::test
