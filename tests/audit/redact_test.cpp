// Redaction by name whatever the value's type, and of every copy of a secret
// value anywhere in the documents (issue 13, part 5).
#include "audit/redact.h"

#include <gtest/gtest.h>

#include "util/secret_scrubber.h"

namespace autoarr::audit {
namespace {

namespace json = boost::json;

TEST(RedactTest, ASecretNameIsRedactedWhateverTheValuesType) {
    json::value docs = json::parse(R"({"sabnzbd": {"get_config": {"config": {"misc": {
        "password": 987654321, "api_key": ["a1b2c3d4e5", "f6g7h8i9j0"], "nzb_key": {"value": "k-0123456789"},
        "email_pwd": 3.25, "passwordConfirmation": "", "token": null, "secret": false, "passwd": [], "pwd": {}}}}}})");
    EXPECT_EQ(redact(docs), 4);
    const auto& misc = docs.at_pointer("/sabnzbd/get_config/config/misc");
    for (const char* key : {"password", "api_key", "nzb_key", "email_pwd"}) EXPECT_EQ(misc.at(key), kRedacted) << key;
    // Empty, null and false say that nothing is set; they stay visible to rules.
    EXPECT_EQ(misc.at("passwordConfirmation"), "");
    EXPECT_TRUE(misc.at("token").is_null());
    EXPECT_EQ(misc.at("secret"), false);
    EXPECT_TRUE(misc.at("passwd").get_array().empty());
    EXPECT_TRUE(misc.at("pwd").get_object().empty());
    const std::string text = json::serialize(docs);
    for (const char* secret : {"987654321", "a1b2c3d4e5", "k-0123456789", "3.25"})
        EXPECT_EQ(text.find(secret), std::string::npos) << secret;
}

TEST(RedactTest, ACopyOfASecretInAnotherFieldIsRedactedToo) {
    json::value docs = json::parse(R"({
      "sabnzbd": {"get_config": {"config": {"misc": {"api_key": "9b1e4c7a2f6d4e0b",
        "email_to": ["me@example.com", "9b1e4c7a2f6d4e0b"], "email_from": "key=9b1e4c7a2f6d4e0b;",
        "port": 987654321}, "servers": [{"password": 987654321}]}}},
      "sonarr": {"config_host": {"apiKey": "5e6f7a8b9c0d1e2f", "instanceName": "Sonarr 5e6f7a8b9c0d1e2f"}}})");
    redact(docs);
    const std::string text = json::serialize(docs);
    for (const char* secret : {"9b1e4c7a2f6d4e0b", "5e6f7a8b9c0d1e2f", "987654321"})
        EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
    EXPECT_EQ(docs.at_pointer("/sabnzbd/get_config/config/misc/email_to/0"), "me@example.com");
    EXPECT_EQ(docs.at_pointer("/sabnzbd/get_config/config/misc/email_from"), "key=**redacted**;");
    EXPECT_EQ(docs.at_pointer("/sabnzbd/get_config/config/misc/port"), kRedacted);  // the password's number
    EXPECT_EQ(docs.at_pointer("/sonarr/config_host/instanceName"), "Sonarr **redacted**");
}

TEST(RedactTest, AKnownSecretOfTheProcessIsRedactedAnywhere) {
    util::process_secrets().add("sk-ant-known-1a2b3c4d5e6f");  // a provider key the host registered
    json::value docs = json::parse(R"({"radarr": {"config_host": {"instanceName": "x sk-ant-known-1a2b3c4d5e6f"}}})");
    EXPECT_EQ(redact(docs), 1);
    EXPECT_EQ(docs.at_pointer("/radarr/config_host/instanceName"), "x **redacted**");
}

TEST(RedactTest, AFindingsCurrentValueLosesTheCopiesTheDocumentsHad) {
    json::value docs = json::parse(R"({"sonarr": {"config_host": {"apiKey": "0f1e2d3c4b5a6978"}}})");
    Redactor redactor;
    redactor.redact(docs);
    json::value current = "0f1e2d3c4b5a6978";  // e.g. a rule showing instanceName, a copy of the key
    EXPECT_EQ(redactor.redact(current), 1);
    EXPECT_EQ(current, kRedacted);
}

TEST(RedactTest, ShortValuesAreNotHuntedForEverywhere) {
    json::value docs = json::parse(R"({"sonarr": {"config_host": {"password": "abc", "instanceName": "abcdef"}}})");
    redact(docs);
    EXPECT_EQ(docs.at_pointer("/sonarr/config_host/password"), kRedacted);
    EXPECT_EQ(docs.at_pointer("/sonarr/config_host/instanceName"), "abcdef");  // "abc" would shred text
}

}  // namespace
}  // namespace autoarr::audit
