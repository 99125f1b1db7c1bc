// Signed plugins (docs/abi-policy.md LOAD-9, LOAD-10): real Ed25519 keys,
// `autoarr plugins sign|verify` (the real binary), and the loader refusing
// what a directory that requires signatures must refuse, whatever the isolation.
#include "plugin/signature.h"

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "isolation/signing_keys.h"
#include "plugin/plugin_registry.h"
#include "support/plugin_dir.h"
#include "support/run_process.h"
#include "util/log.h"

namespace autoarr::plugin {
namespace {

namespace fs = std::filesystem;

class SignatureTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        test::make_signing_key(keys_.path(), keys_.path() / "trusted", "vendor");
        test::make_signing_key(keys_.path(), keys_.path() / "untrusted", "stranger");
        plugin_ = test::install_fixture(plugins_.path(), "good", "fixture_good_c", "good-c");
        log::set_sink([this](log::Level level, std::string_view component, std::string_view msg) {
            std::lock_guard lock(mutex_);
            if (level >= log::Level::warn) lines_.emplace_back(std::string(component) + ": " + std::string(msg));
        });
    }
    void TearDown() override { log::set_sink(nullptr); }

    test::ProcessResult autoarr(const std::string& args) {
        return test::run_process(test::shell_quote(AUTOARR_BINARY) + " --log-level warn " + args);
    }
    void sign(const std::string& key) {
        auto r = autoarr("plugins sign --key " + test::shell_quote((keys_.path() / (key + ".key")).string()) + " " +
                         test::shell_quote(plugin_.string()));
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    // Discovers the plugin directory as one that requires signatures, in the test's isolation.
    PluginRecord discover() {
        SearchDir d{plugins_.path(), "test"};
        d.require_signatures = true;
        d.default_isolation = GetParam();
        LoaderOptions o;
        o.trusted_keys = read_trusted_keys({keys_.path() / "trusted"});
        auto reg = PluginRegistry::discover({d}, o);
        EXPECT_EQ(reg.records().size(), 1u);
        return reg.records().at(0);
    }
    void expect_rejected(const PluginRecord& r, const std::string& rule, const std::string& cause) {
        EXPECT_FALSE(r.loaded);
        EXPECT_EQ(r.failure.step, LoadStep::signature) << r.reason();
        EXPECT_EQ(r.failure.rule, rule) << r.reason();
        EXPECT_NE(r.failure.cause.find(cause), std::string::npos) << r.failure.cause;
        std::lock_guard lock(mutex_);
        ASSERT_EQ(lines_.size(), 1u);  // one line naming the file, the step and the rule
        EXPECT_NE(lines_[0].find("rejected " + (plugin_ / "libfixture_good_c.so").string() + ": step signature: "),
                  std::string::npos)
            << lines_[0];
        EXPECT_NE(lines_[0].find("(docs/abi-policy.md " + rule + ")"), std::string::npos) << lines_[0];
    }

    test::TempDir keys_, plugins_;
    fs::path plugin_;
    std::mutex mutex_;  // guards lines_
    std::vector<std::string> lines_;
};

TEST_P(SignatureTest, ASignedPluginLoadsAndVerifies) {
    sign("vendor");
    auto r = discover();
    EXPECT_TRUE(r.loaded) << r.reason();
    EXPECT_EQ(r.signature, "verified");
    EXPECT_EQ(r.isolation, GetParam());
    auto v = autoarr("plugins verify --trusted-keys " + test::shell_quote((keys_.path() / "trusted").string()) + " " +
                     test::shell_quote(plugins_.path().string()));
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_NE(v.out.find("ok     " + plugin_.string() + " (key "), std::string::npos) << v.out;
}

TEST_P(SignatureTest, OneFlippedByteInTheLibraryIsRejected) {
    sign("vendor");
    const fs::path lib = plugin_ / "libfixture_good_c.so";
    std::fstream f(lib, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(4000);
    char c = 0;
    f.read(&c, 1);
    f.seekp(4000);
    c = static_cast<char>(c ^ 0x01);
    f.write(&c, 1);
    f.close();
    expect_rejected(discover(), "LOAD-10", "the files changed after signing");
    auto v = autoarr("plugins verify --trusted-keys " + test::shell_quote((keys_.path() / "trusted").string()) + " " +
                     test::shell_quote(plugin_.string()));
    EXPECT_EQ(v.exit_code, 1);
    EXPECT_NE(v.out.find("FAILED " + plugin_.string()), std::string::npos) << v.out;
}

TEST_P(SignatureTest, AChangedManifestIsRejected) {
    sign("vendor");
    test::write_file(plugin_ / "manifest.json",
                     test::manifest_json("good-c", "libfixture_good_c.so", "1.0", "x86_64", /*priority=*/1));
    expect_rejected(discover(), "LOAD-10", "does not match manifest.json and libfixture_good_c.so");
}

TEST_P(SignatureTest, ASignatureByAnUntrustedKeyIsRejected) {
    sign("stranger");
    expect_rejected(discover(), "LOAD-10", "which is not a trusted key (1 trusted)");
}

TEST_P(SignatureTest, AMissingSignatureIsRejectedWhateverTheIsolation) {
    expect_rejected(discover(), "LOAD-9", "no signature " + (plugin_ / "plugin.sig").string());
}

INSTANTIATE_TEST_SUITE_P(Isolation, SignatureTest, ::testing::Values("in-process", "process"));

// The config names which directories require signatures; the CLI shows the verdict.
TEST(SignatureConfigTest, ADirectoryTheConfigMarksRefusesAnUnsignedPlugin) {
    test::TempDir dir, keys;
    test::install_fixture(dir.path(), "good", "fixture_good_c", "good-c");
    test::write_file(dir.path() / "config.json", R"({"plugins": {"directories": {")" + dir.path().string() +
                                                     R"(": {"require_signatures": true}}}})");
    auto r = test::run_process(
        test::shell_quote(AUTOARR_BINARY) + " --log-level warn plugins list --json --no-builtin-plugins --config " +
        test::shell_quote((dir.path() / "config.json").string()) + " --trusted-keys " +
        test::shell_quote(keys.path().string()) + " --plugin-dir " + test::shell_quote(dir.path().string()));
    // The named directory yields no loadable plugin: plugins list says so and fails (issue 18).
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("no loadable plugin in --plugin-dir"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find(R"("state":"rejected")"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(R"("step":"signature","rule":"LOAD-9")"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace autoarr::plugin
