// The real binary: a weak token beyond loopback is refused, and a --save
// snapshot keeps no secret, whatever its type or wherever it was copied
// (issue 13, part 5).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "support/run_process.h"
#include "support/temp_dir.h"

namespace autoarr::test {
namespace {

namespace json = boost::json;
const std::string kSample = std::string(AUTOARR_SOURCE_DIR) + "/examples/sample-stack";

ProcessResult serve_beyond_loopback(const TempDir& dir, const std::string& token) {
    // `timeout`: a build that accepted the token would listen for ever instead of exiting.
    return run_process("AUTOARR_API_TOKEN=" + shell_quote(token) + " timeout 10 " + shell_quote(AUTOARR_BINARY) +
                       " serve --listen 0.0.0.0:0 --no-builtin-plugins --db " +
                       shell_quote((dir.path() / "x.db").string()));
}

TEST(SecretsCliTest, AWeakTokenBeyondLoopbackIsRefusedWithTheReason) {
    TempDir dir;
    auto r = serve_beyond_loopback(dir, "abcde");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("refusing to listen on 0.0.0.0:0: AUTOARR_API_TOKEN is 5 characters long; use at least 16"),
              std::string::npos)
        << r.err;
    r = serve_beyond_loopback(dir, "   ");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("AUTOARR_API_TOKEN must not contain whitespace"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("abcde"), std::string::npos);  // the token itself is never echoed
}

TEST(SecretsCliTest, SaveKeepsNoNumericPasswordAndNoCopiedKey) {
    TempDir d;
    std::filesystem::copy(kSample, d.path() / "stack", std::filesystem::copy_options::recursive);
    auto sab_path = d.path() / "stack" / "sabnzbd" / "get_config.json";
    json::value sab = json::parse(read_file(sab_path));
    auto& misc = sab.at("config").at("misc").as_object();
    misc["password"] = 987654321;
    misc["email_to"] = json::array{misc.at("api_key")};
    write_file(sab_path, json::serialize(sab));
    auto son_path = d.path() / "stack" / "sonarr" / "config_host.json";
    json::value son = json::parse(read_file(son_path));
    son.at("apiKey") = "c0ffee0123456789abcdef0123456789";
    son.at("instanceName") = "Sonarr c0ffee0123456789abcdef0123456789";
    write_file(son_path, json::serialize(son));

    const auto saved = d.path() / "snap";
    auto r = run_process("NO_COLOR=1 " + shell_quote(AUTOARR_BINARY) + " --log-level off audit --from " +
                         shell_quote((d.path() / "stack").string()) + " --no-llm --format json --save " +
                         shell_quote(saved.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string all = r.out;
    for (auto& e : std::filesystem::recursive_directory_iterator(saved))
        if (e.is_regular_file()) all += read_file(e.path());
    for (const char* secret : {"987654321", "9b1e4c7a2f6d4e0b8a3c5d7e9f1a2b3c", "c0ffee0123456789abcdef0123456789"})
        EXPECT_EQ(all.find(secret), std::string::npos) << secret;
    EXPECT_NE(all.find("Sonarr **redacted**"), std::string::npos);
}

}  // namespace
}  // namespace autoarr::test
