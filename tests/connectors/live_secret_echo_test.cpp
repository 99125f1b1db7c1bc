// An application that echoes its API key in an error page: the key never
// reaches the application's status, which the report shows and the store
// keeps (issue 13, part 5).
#include <gtest/gtest.h>

#include "connectors/live.h"
#include "support/fixture_server.h"

namespace autoarr::connectors {
namespace {

TEST(LiveSecretEchoTest, AKeyEchoedInARefusalIsRedactedFromTheStatus) {
    const std::string key = "7e6d5c4b3a2918f7e6d5c4b3a2918f70";
    test::FixtureServer sonarr;
    for (const auto& ep : endpoints_of("sonarr"))
        sonarr.on("GET", "/api/v3/" + std::string(ep.api_path), [](const test::ReceivedRequest& r) {
            test::FixtureResponse out;
            out.status = 401;
            out.body = "key " + r.headers.at("x-api-key") + " is not valid";
            return out;
        });
    auto stack = fetch_stack({{"sonarr", {sonarr.url(), key}}});
    ASSERT_EQ(stack.apps.size(), 3u);
    const auto& status = stack.apps[1];
    EXPECT_EQ(status.status, "error");
    EXPECT_EQ(status.error.find(key), std::string::npos) << status.error;
    EXPECT_NE(status.error.find("key **redacted** is not valid"), std::string::npos) << status.error;
}

}  // namespace
}  // namespace autoarr::connectors
