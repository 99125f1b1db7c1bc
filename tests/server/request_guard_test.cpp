// The Host / Origin / Content-Type rules (request_guard.h): the rule table
// on its own, then the attack of issue #13 on a real socket: a web page
// posting text/plain with a foreign Host and Origin, which was a 201.
#include "server/request_guard.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>

#include "support/raw_http.h"

namespace autoarr::server {
namespace {

using namespace std::chrono_literals;

HttpRequest request(std::string method, std::map<std::string, std::string> headers) {
    HttpRequest r;
    r.method = std::move(method);
    r.headers = std::move(headers);
    return r;
}

int status(const GuardVerdict& v) {
    return v.refusal ? v.refusal->status : v.preflight ? 204 : 0;
}

TEST(RequestGuardTest, TheRuleTable) {
    const RequestGuard loopback({"127.0.0.1", {"autoarr.lan", " NAS.lan:8000"}, {"https://dash.example"}});
    const RequestGuard wildcard({"0.0.0.0", {}, {}});
    struct Case {
        const RequestGuard& guard;
        const char* method;
        std::map<std::string, std::string> headers;
        bool body;
        int want;  // 0: allowed
    };
    const std::string json = "application/json";
    const Case cases[] = {
        // host
        {loopback, "GET", {{"host", "127.0.0.1:8000"}}, false, 0},
        {loopback, "GET", {{"host", "localhost:8000"}}, false, 0},
        {loopback, "GET", {{"host", "LocalHost"}}, false, 0},
        {loopback, "GET", {{"host", "autoarr.lan:8000"}}, false, 0},
        {loopback, "GET", {{"host", "nas.lan"}}, false, 0},
        {loopback, "GET", {{"host", "evil.example:8000"}}, false, 421},  // DNS rebinding
        {loopback, "GET", {{"host", "127.0.0.2"}}, false, 421},
        {loopback, "GET", {{"host", "a b"}}, false, 400},
        {loopback, "GET", {}, false, 0},  // HTTP/1.0 without Host
        {wildcard, "GET", {{"host", "192.168.1.9:8000"}}, false, 0},
        {wildcard, "GET", {{"host", "[fe80::1]:8000"}}, false, 0},
        {wildcard, "GET", {{"host", "nas.local:8000"}}, false, 421},
        // origin
        {loopback, "POST", {{"host", "127.0.0.1:8000"}, {"origin", "http://127.0.0.1:8000"}}, false, 0},
        {loopback, "POST", {{"host", "127.0.0.1:8000"}, {"origin", "http://evil.example"}}, false, 403},
        {loopback, "POST", {{"host", "127.0.0.1:8000"}, {"origin", "null"}}, false, 403},
        {loopback, "POST", {{"host", "127.0.0.1:8000"}, {"origin", "https://dash.example"}}, false, 0},
        {loopback,
         "OPTIONS",
         {{"host", "127.0.0.1:8000"}, {"origin", "https://dash.example"}, {"access-control-request-method", "POST"}},
         false,
         204},
        {loopback,
         "OPTIONS",
         {{"host", "127.0.0.1:8000"}, {"origin", "http://evil.example"}, {"access-control-request-method", "POST"}},
         false,
         403},
        // content-type
        {loopback, "POST", {{"host", "localhost"}, {"content-type", json}}, true, 0},
        {loopback, "POST", {{"host", "localhost"}, {"content-type", "Application/JSON; charset=utf-8"}}, true, 0},
        {loopback, "POST", {{"host", "localhost"}, {"content-type", "text/plain"}}, true, 415},
        {loopback, "POST", {{"host", "localhost"}, {"content-type", "application/x-www-form-urlencoded"}}, true, 415},
        {loopback, "POST", {{"host", "localhost"}}, true, 415},
        {loopback, "POST", {{"host", "localhost"}, {"content-type", "text/plain"}}, false, 0},  // no body
    };
    for (const auto& c : cases) {
        std::string what = std::string(c.method);
        for (const auto& [k, v] : c.headers) what += " " + k + ": " + v;
        EXPECT_EQ(status(c.guard.check(request(c.method, c.headers), c.body)), c.want) << what;
    }
}

TEST(RequestGuardTest, AllowedOriginsGetCorsHeadersAndOthersNone) {
    const RequestGuard g({"127.0.0.1", {}, {"https://dash.example"}});
    auto v = g.check(request("GET", {{"host", "127.0.0.1"}, {"origin", "https://dash.example"}}), false);
    ASSERT_FALSE(v.refusal);
    ASSERT_FALSE(v.cors_headers.empty());
    EXPECT_EQ(v.cors_headers[0],
              (std::pair<std::string, std::string>{"Access-Control-Allow-Origin", "https://dash.example"}));
    EXPECT_TRUE(g.check(request("GET", {{"host", "127.0.0.1"}}), false).cors_headers.empty());
    const RequestGuard unconfigured({"127.0.0.1", {}, {}});
    auto pre = unconfigured.check(
        request("OPTIONS",
                {{"host", "127.0.0.1"}, {"origin", "https://dash.example"}, {"access-control-request-method", "POST"}}),
        false);
    EXPECT_FALSE(pre.preflight);
    ASSERT_TRUE(pre.refusal);
    EXPECT_NE(pre.refusal->message.find("--allowed-origin"), std::string::npos);
}

TEST(RequestGuardTest, HostOf) {
    EXPECT_EQ(host_of("[::1]:8000"), "::1");
    EXPECT_EQ(host_of("Example.COM"), "example.com");
    EXPECT_EQ(host_of("127.0.0.1:80"), "127.0.0.1");
    EXPECT_EQ(host_of("[::1"), "");
    EXPECT_EQ(host_of("a:b"), "");
    EXPECT_EQ(host_of(""), "");
}

// The page's request on a real socket: refused before any route runs.
// Found by fuzzing (tests/fuzz/http_request_fuzz.cpp): a refusal quoted the
// client's Host header byte for byte, so a Host of 0xFF bytes made the
// error body invalid UTF-8, not JSON.
TEST(RequestGuardTest, ARefusalQuotingInvalidUtf8IsStillJson) {
    ServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    HttpServer server(o, [](const HttpRequest&, ResponseWriter& w) { w.send(HttpResponse{}); });
    server.start();
    test::RawSocket s(server.port());
    s.send(
        "POST /api/v1/providers/ollama/check HTTP/1.1\r\nHost:\xff\xff\xff\xff 127.0.P/1:8000\r\n"
        "Connection: close\r\n\r\n");
    const std::string answer = s.read_until_closed(5s);
    EXPECT_EQ(test::status_of(answer), 400) << answer;
    const auto body = answer.substr(answer.find("\r\n\r\n") + 4);
    boost::json::error_code ec;
    const auto v = boost::json::parse(body, ec);
    ASSERT_FALSE(ec) << body;
    EXPECT_EQ(v.at("error").at("code").as_string(), "bad_host") << body;
    server.stop(1s);
}

TEST(RequestGuardTest, AHostileWebPageIsRefusedOnTheSocket) {
    std::atomic<int> handled{0};
    ServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.allowed_origins = {"https://dash.example"};
    HttpServer server(o, [&](const HttpRequest&, ResponseWriter& w) {
        ++handled;
        HttpResponse r;
        r.status = 201;
        w.send(r);
    });
    server.start();
    const std::string body = R"({"source":"live"})";
    auto post = [&](const std::string& headers) {
        test::RawSocket s(server.port());
        s.send("POST /api/v1/audits HTTP/1.1\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
               "\r\nConnection: close\r\n\r\n" + body);
        return s.read_until_closed(5s);
    };
    const std::string page = "Content-Type: text/plain\r\nOrigin: http://evil.example\r\n";
    EXPECT_EQ(test::status_of(post("Host: evil.example:8000\r\n" + page)), 421);
    EXPECT_EQ(test::status_of(post("Host: 127.0.0.1\r\n" + page)), 403);
    EXPECT_EQ(test::status_of(post("Host: 127.0.0.1\r\nContent-Type: text/plain\r\n")), 415);
    EXPECT_EQ(handled.load(), 0);
    const std::string ok =
        post("Host: 127.0.0.1\r\nContent-Type: application/json\r\nOrigin: https://dash.example\r\n");
    EXPECT_EQ(test::status_of(ok), 201) << ok;
    EXPECT_NE(ok.find("Access-Control-Allow-Origin: https://dash.example"), std::string::npos) << ok;
    // A configured preflight is answered here, not by a route.
    test::RawSocket s(server.port());
    s.send(
        "OPTIONS /api/v1/audits HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://dash.example\r\n"
        "Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
    const std::string pre = s.read_until_closed(5s);
    EXPECT_EQ(test::status_of(pre), 204) << pre;
    EXPECT_NE(pre.find("Access-Control-Allow-Methods: GET, POST"), std::string::npos) << pre;
    EXPECT_EQ(pre.find("Content-Length"), std::string::npos) << pre;
    EXPECT_EQ(handled.load(), 1);
    server.stop(1s);
}

}  // namespace
}  // namespace autoarr::server
