// Secrets in plugin settings are found however they are spelt and however
// deep they sit, and a token that guards a service beyond loopback is strong
// enough (issue 13, part 5).
#include <gtest/gtest.h>

#include "config/config.h"
#include "support/temp_dir.h"

namespace autoarr::config {
namespace {

Config load_file(const std::string& text) {
    static test::TempDir dir;
    test::write_file(dir.path() / "config.json", text);
    Sources s;
    s.default_file = dir.path() / "absent.json";
    s.file = dir.path() / "config.json";
    return load(s);
}

TEST(PluginSecretsTest, SecretsAreStrippedInAnySpellingAndAtAnyDepth) {
    auto c = load_file(R"({"providers": {"x": {
        "Api_Key": "k1-aaaaaaaa", "access_token": "t1-bbbbbbbb", "client-secret": "s1-cccccccc",
        "max_tokens": 512, "model": "m",
        "auth": {"user": "me", "Password": 987654321, "inner": {"refreshToken": "r1-dddddddd"}},
        "servers": [{"host": "h", "token": "t2-eeeeeeee"}]}}})");
    const auto& pc = c.providers.at("x");
    const std::string settings = boost::json::serialize(pc.settings);
    for (const char* leaked : {"k1-aaaaaaaa", "t1-bbbbbbbb", "s1-cccccccc", "987654321", "r1-dddddddd", "t2-eeeeeeee"})
        EXPECT_EQ(settings.find(leaked), std::string::npos) << leaked << " in " << settings;
    EXPECT_EQ(pc.settings.at("max_tokens"), 512);  // "tokens" is not a token
    EXPECT_EQ(pc.settings.at("model"), "m");
    EXPECT_EQ(pc.settings.at("auth").at("user"), "me");
    EXPECT_EQ(pc.settings.at("servers").at(0).at("host"), "h");
    const std::map<std::string, std::string> want = {{"api_key", "k1-aaaaaaaa"},
                                                     {"access_token", "t1-bbbbbbbb"},
                                                     {"client_secret", "s1-cccccccc"},
                                                     {"auth.password", "987654321"},
                                                     {"auth.inner.refreshtoken", "r1-dddddddd"},
                                                     {"servers.0.token", "t2-eeeeeeee"}};
    EXPECT_EQ(pc.secrets, want);
}

TEST(PluginSecretsTest, EverySpellingOfAnApiKeyIsServedAsApiKey) {
    for (const char* name : {"api_key", "apikey", "Api_Key", "api-key", "API_KEY", "apiKey"}) {
        auto c = load_file(std::string(R"({"providers": {"x": {")") + name + R"(": "value-123456"}}})");
        EXPECT_EQ(c.providers.at("x").secrets.at("api_key"), "value-123456") << name;
        EXPECT_TRUE(c.providers.at("x").settings.empty()) << name;
    }
}

TEST(PluginSecretsTest, ATokenBeyondLoopbackNeedsSixteenCharactersAndNoWhitespace) {
    EXPECT_NE(api_token_problem("abcde").find("is 5 characters long; use at least 16"), std::string::npos);
    EXPECT_NE(api_token_problem("x").find("at least 16"), std::string::npos);
    EXPECT_NE(api_token_problem(std::string(16, ' ')).find("whitespace"), std::string::npos);
    EXPECT_NE(api_token_problem("0123456789abcdef\n").find("whitespace or control"), std::string::npos);
    EXPECT_NE(api_token_problem("0123456789 abcdef").find("whitespace"), std::string::npos);
    EXPECT_EQ(api_token_problem("0123456789abcdef"), "");
    EXPECT_EQ(api_token_problem("Zm9vYmFyLXRva2VuLTIwMjY-_.~+/="), "");
}

}  // namespace
}  // namespace autoarr::config
