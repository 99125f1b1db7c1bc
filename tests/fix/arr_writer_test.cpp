// The Sonarr/Radarr writer against a v3 API that saves whole resources and
// validates them as the real controllers do (support/arr_sim.h).
#include "fix/arr_writer.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "http/client.h"
#include "support/arr_sim.h"

namespace autoarr::fix {
namespace {

namespace json = boost::json;
const std::string kKey = "0123456789abcdef0123456789abcdef";
const std::string kDir = std::string(AUTOARR_SOURCE_DIR) + "/tests/fixtures/arr/sonarr/misconfigured";

Change config_change(const std::string& resource, const std::string& field, json::value after) {
    Change c;
    c.rule_id = "T";
    c.app = "sonarr";
    c.resource = resource;
    c.field = field;
    c.after = std::move(after);
    return c;
}

TEST(ArrWriter, APutCarriesTheWholeResourceSoNothingElseChanges) {
    test::ArrSim sonarr("sonarr", kDir, kKey);
    const json::value before = sonarr.resource("config/mediamanagement");
    ArrWriter w("sonarr", {sonarr.url(), kKey}, std::chrono::seconds(5));
    Change c = config_change("config/mediamanagement", "copyUsingHardlinks", true);
    EXPECT_EQ(w.read(c), json::value(false));
    w.write(c, json::value(true));
    EXPECT_EQ(w.read(c), json::value(true));
    json::value expected = before;
    expected.as_object()["copyUsingHardlinks"] = true;
    EXPECT_EQ(sonarr.resource("config/mediamanagement"), expected);  // every other field as it was
    EXPECT_EQ(sonarr.puts(), 1u);
}

TEST(ArrWriter, TheSimulatorResetsWhatAPartialPutLeavesOut) {
    // Why the writer sends the whole resource: the app saves every property.
    test::ArrSim sonarr("sonarr", kDir, kKey);
    std::string why;
    http::Client client(*http::parse_base_url(sonarr.url(), why));
    http::Request r;
    r.method = "PUT";
    r.target = "/api/v3/config/mediamanagement/1";
    r.headers = {{"x-api-key", kKey}, {"content-type", "application/json"}};
    r.body = R"({"id": 1, "copyUsingHardlinks": true, "recycleBinCleanupDays": 7, "minimumFreeSpaceWhenImporting": 100,
                 "rescanAfterRefresh": "always", "downloadPropersAndRepacks": "doNotPrefer", "chmodFolder": "775"})";
    auto res = client.fetch(r, std::chrono::steady_clock::now() + std::chrono::seconds(5), nullptr);
    ASSERT_EQ(res.first.status, 202) << res.second;
    const auto now = sonarr.resource("config/mediamanagement");
    EXPECT_EQ(now.at("importExtraFiles"), json::value(false));  // was true; not in the body
    EXPECT_EQ(now.at("setPermissionsLinux"), json::value(false));
    EXPECT_EQ(now.at("extraFileExtensions"), json::value("srt,nfo,exe,lnk"));  // text: skipped when absent
}

TEST(ArrWriter, AValidationFailureNamesThePropertyAndTheAppsReason) {
    test::ArrSim sonarr("sonarr", kDir, kKey);
    ArrWriter w("sonarr", {sonarr.url(), kKey}, std::chrono::seconds(5));
    Change c = config_change("config/host", "backupRetention", 0);
    try {
        w.write(c, json::value(0));
        FAIL() << "a retention of 0 must be refused";
    } catch (const WriteError& e) {
        EXPECT_NE(std::string(e.what()).find("Sonarr refused config/host.backupRetention: BackupRetention: "
                                             "'BackupRetention' must be between 1 and 90. You entered 0."),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(sonarr.resource("config/host").at("backupRetention"), json::value(7));  // unchanged
    EXPECT_EQ(sonarr.puts(), 0u);
}

TEST(ArrWriter, ADownloadClientFieldChangesAndItsMaskedKeyIsKept) {
    test::ArrSim sonarr("sonarr", kDir, kKey);
    const json::value stored = sonarr.resource("downloadclient/1");
    ASSERT_FALSE(stored.is_null());
    ArrWriter w("sonarr", {sonarr.url(), kKey}, std::chrono::seconds(5));
    Change c = config_change("downloadclient", "fields.useSsl", false);
    c.item = "1";
    w.write(c, json::value(true));
    EXPECT_EQ(read_field(sonarr.resource("downloadclient/1"), "fields.useSsl"), json::value(true));
    EXPECT_EQ(read_field(sonarr.resource("downloadclient/1"), "fields.apiKey"), read_field(stored, "fields.apiKey"));
    EXPECT_EQ(read_field(sonarr.resource("downloadclient/1"), "fields.host"), read_field(stored, "fields.host"));
}

TEST(ArrWriter, AFailedClientTestRefusesTheChange) {
    test::ArrSim sonarr("sonarr", kDir, kKey);
    sonarr.set_client_test([](const json::object&) { return std::string("Unable to connect to SABnzbd"); });
    ArrWriter w("sonarr", {sonarr.url(), kKey}, std::chrono::seconds(5));
    Change c = config_change("downloadclient", "removeFailedDownloads", true);
    c.item = "1";
    try {
        w.write(c, json::value(true));
        FAIL();
    } catch (const WriteError& e) {
        EXPECT_NE(std::string(e.what()).find("Unable to connect to SABnzbd"), std::string::npos) << e.what();
    }
}

TEST(ArrWriter, AGoneItemAndARefusedKeyAreClearErrorsWithoutTheKey) {
    test::ArrSim sonarr("sonarr", kDir, kKey);
    ArrWriter w("sonarr", {sonarr.url(), kKey}, std::chrono::seconds(5));
    Change c = config_change("downloadclient", "removeFailedDownloads", true);
    c.item = "99";
    try {
        (void)w.read(c);
        FAIL();
    } catch (const WriteError& e) {
        EXPECT_NE(std::string(e.what()).find("Sonarr has no downloadclient with id 99"), std::string::npos) << e.what();
    }
    const std::string wrong = "ffffffffffffffffffffffffffffffff";
    ArrWriter bad("sonarr", {sonarr.url(), wrong}, std::chrono::seconds(5));
    try {
        (void)bad.read(config_change("config/host", "branch", "main"));
        FAIL();
    } catch (const WriteError& e) {
        EXPECT_NE(std::string(e.what()).find("API key was refused (HTTP 401"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find(wrong), std::string::npos);
    }
}

TEST(ArrWriter, ValidationFailuresReadEveryShapeTheAppsAnswer) {
    EXPECT_EQ(validation_failures(R"([{"propertyName":"Port","errorMessage":"bad"},{"errorMessage":"worse"}])"),
              "Port: bad; worse");
    EXPECT_EQ(validation_failures(R"({"message":"NotFound","description":"no such thing"})"),
              "NotFound: no such thing");
    EXPECT_EQ(validation_failures("<html>oops</html>"), "<html>oops</html>");
}

}  // namespace
}  // namespace autoarr::fix
