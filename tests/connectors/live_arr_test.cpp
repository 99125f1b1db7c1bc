// Live fetching from protocol-faithful Sonarr/Radarr servers on loopback,
// serving the sample documents at their /api/v3 paths and checking X-Api-Key
// as the real apps do (401, empty body, when it is wrong).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "audit/engine.h"
#include "connectors/live.h"
#include "support/fixture_server.h"

namespace autoarr::connectors {
namespace {

namespace json = boost::json;
const std::string kKey = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

// Serves <app>/<variant>/<endpoint>.json at /api/v3/<path> when the key is right.
void serve_arr(test::FixtureServer& s, const std::string& app, const std::string& variant) {
    for (const auto& ep : endpoints_of(app)) {
        std::string body = test::fixture_bytes("arr/" + app + "/" + variant + "/" + ep.name + ".json");
        s.on("GET", "/api/v3/" + std::string(ep.api_path), [body](const test::ReceivedRequest& r) {
            test::FixtureResponse out;
            auto it = r.headers.find("x-api-key");
            if (it == r.headers.end() || it->second != kKey) {
                out.status = 401;
                return out;
            }
            out.headers = {{"Content-Type", "application/json; charset=utf-8"}};
            out.body = body;
            return out;
        });
    }
}

TEST(LiveArrTest, FetchesEveryEndpointWithTheKeyHeader) {
    test::FixtureServer sonarr, radarr;
    serve_arr(sonarr, "sonarr", "misconfigured");
    serve_arr(radarr, "radarr", "misconfigured");
    auto stack = fetch_stack({{"sonarr", {sonarr.url(), kKey}}, {"radarr", {radarr.url(), kKey}}});
    ASSERT_EQ(stack.apps.size(), 3u);
    EXPECT_EQ(stack.apps[0].status, "not configured");  // sabnzbd
    EXPECT_EQ(stack.apps[1].status, "ok") << stack.apps[1].error;
    EXPECT_EQ(stack.apps[1].version, "4.0.19.2979");
    EXPECT_EQ(stack.apps[2].version, "6.0.3.10276");
    EXPECT_EQ(sonarr.requests().size(), 9u);
    for (const auto& r : sonarr.requests()) EXPECT_EQ(r.target.find(kKey), std::string::npos);  // header, not URL
    auto rules = audit::load_rules(audit::installed_rules_path());
    auto findings = audit::evaluate_rules(rules, stack.documents, "2026-11-25");
    int sonarr_findings = 0;
    for (const auto& f : findings) sonarr_findings += f.rule.application == "sonarr";
    EXPECT_EQ(sonarr_findings, 30);  // as expected_findings.json counts for Sonarr
}

TEST(LiveArrTest, EachFailureIsThatAppsErrorAndTheOthersStillWork) {
    test::FixtureServer good, html, shape;
    serve_arr(good, "radarr", "well-configured");
    html.on("GET", "/api/v3/config/host", [](const test::ReceivedRequest&) {
        test::FixtureResponse r;
        r.headers = {{"Content-Type", "text/html"}};
        r.body = "<html><title>Login</title></html>";
        return r;
    });
    auto wrong = fetch_stack({{"radarr", {good.url(), "wrong-key"}}});
    EXPECT_EQ(wrong.apps[2].status, "error");
    EXPECT_NE(wrong.apps[2].error.find("API key was refused (HTTP 401"), std::string::npos) << wrong.apps[2].error;

    auto stack = fetch_stack({{"sonarr", {html.url(), kKey}}, {"radarr", {good.url(), kKey}}});
    EXPECT_EQ(stack.apps[1].status, "error");
    EXPECT_NE(stack.apps[1].error.find("did not answer JSON (text/html)"), std::string::npos) << stack.apps[1].error;
    EXPECT_EQ(stack.apps[2].status, "ok");
    EXPECT_TRUE(stack.documents.contains("radarr"));
    EXPECT_FALSE(stack.documents.contains("sonarr"));

    shape.on("GET", "/api/v3/config/host", [](const test::ReceivedRequest&) {
        test::FixtureResponse r;
        r.body = "[1,2,3]";
        return r;
    });
    auto bad_shape = fetch_stack({{"sonarr", {shape.url(), kKey}}});
    EXPECT_NE(bad_shape.apps[1].error.find("config_host must be a JSON object"), std::string::npos);

    auto refused = fetch_stack({{"sonarr", {"http://127.0.0.1:1", kKey}}});
    EXPECT_NE(refused.apps[1].error.find("cannot connect to 127.0.0.1:1"), std::string::npos) << refused.apps[1].error;
    auto no_key = fetch_stack({{"sonarr", {good.url(), ""}}});
    EXPECT_EQ(no_key.apps[1].error, "no API key configured");
    auto bad_url = fetch_stack({{"sonarr", {"sonarr:8989", kKey}}});
    EXPECT_EQ(bad_url.apps[1].error.rfind("URL: ", 0), 0u);
}

TEST(LiveArrTest, AHungAppTimesOutWithoutHoldingUpTheOthers) {
    test::FixtureServer good, hung;
    serve_arr(good, "radarr", "well-configured");
    hung.on("GET", "/api/v3/config/host", [](const test::ReceivedRequest&) {
        test::FixtureResponse r;
        r.hang = true;
        return r;
    });
    LiveOptions o;
    o.timeout = std::chrono::milliseconds(300);
    auto t0 = std::chrono::steady_clock::now();
    auto stack = fetch_stack({{"sonarr", {hung.url(), kKey}}, {"radarr", {good.url(), kKey}}}, o);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
    EXPECT_EQ(stack.apps[1].status, "error");
    EXPECT_NE(stack.apps[1].error.find("deadline"), std::string::npos) << stack.apps[1].error;
    EXPECT_EQ(stack.apps[2].status, "ok");
}

}  // namespace
}  // namespace autoarr::connectors
