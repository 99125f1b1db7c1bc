// Every way a plugin can be wrong ends in its documented step and reason,
// while the good plugins beside it still load (docs/abi-policy.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <mutex>
#include <vector>

#include "plugin/plugin_registry.h"
#include "support/plugin_dir.h"
#include "util/log.h"

namespace autoarr::plugin {
namespace {

using test::install_fixture;
using test::TempDir;

struct Expect {
    std::string id;
    LoadStep step;
    std::string rule;
    std::string cause_contains;
};

class LoaderTest : public ::testing::Test {
protected:
    void SetUp() override {
        log::set_sink([this](log::Level level, std::string_view component, std::string_view msg) {
            std::lock_guard lock(mutex_);
            if (level >= log::Level::warn) lines_.emplace_back(std::string(component) + ": " + std::string(msg));
        });
    }
    void TearDown() override { log::set_sink(nullptr); }

    PluginRegistry discover() { return PluginRegistry::discover({{dir_.path(), "test"}}); }

    const PluginRecord& record(const PluginRegistry& reg, const std::string& id) {
        for (const auto& r : reg.records())
            if (r.id == id) return r;
        throw std::runtime_error("no record for " + id);
    }

    size_t lines_mentioning(const std::string& needle) {
        std::lock_guard lock(mutex_);
        size_t n = 0;
        for (const auto& l : lines_) n += l.find(needle) != std::string::npos;
        return n;
    }

    TempDir dir_;
    std::mutex mutex_;
    std::vector<std::string> lines_;
};

TEST_F(LoaderTest, GoodCAndCppPluginsBuiltAgainstFrozen10Load) {
    install_fixture(dir_.path(), "good-c", "fixture_good_c", "good-c");
    install_fixture(dir_.path(), "good-cpp", "fixture_good_cpp", "good-cpp");
    auto reg = discover();
    ASSERT_EQ(reg.records().size(), 2u);
    for (const char* id : {"good-c", "good-cpp"}) {
        const auto& r = record(reg, id);
        EXPECT_TRUE(r.loaded) << id << ": " << r.reason();
        EXPECT_EQ(r.abi_version, "1.0");
    }
    EXPECT_EQ(lines_.size(), 0u);
}

TEST_F(LoaderTest, EachBrokenPluginIsRejectedWithItsReasonAndGoodOnesStillLoad) {
    const auto root = dir_.path();
    install_fixture(root, "00-good-c", "fixture_good_c", "good-c");
    install_fixture(root, "01-no-entry", "fixture_no_entry", "no-entry");
    install_fixture(root, "02-refuse", "fixture_refuse", "refuse");
    install_fixture(root, "03-null-table", "fixture_null_table", "null-table");
    install_fixture(root, "04-wrong-type", "fixture_wrong_type", "wrong-type");
    install_fixture(root, "05-small-size", "fixture_small_size", "small-size");
    install_fixture(root, "06-bad-version", "fixture_bad_version", "bad-version");
    install_fixture(root, "07-missing-slot", "fixture_missing_slot", "missing-slot");
    install_fixture(root, "08-id-mismatch", "fixture_good_c", "not-good-c");
    install_fixture(root, "09-throws", "fixture_throws", "throws");
    install_fixture(root, "10-startup-fails", "fixture_startup_fails", "startup-fails");
    // Not a shared object at all.
    auto text = install_fixture(root, "11-not-elf", "fixture_good_c", "not-elf");
    test::write_file(text / "libfixture_good_c.so", "this is a text file, not a library\n", 0755);
    // A real library patched to claim another architecture (e_machine = AArch64).
    auto other = install_fixture(root, "12-other-arch", "fixture_good_c", "other-arch");
    {
        std::fstream f(other / "libfixture_good_c.so", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(18);
        const char aarch64[2] = {static_cast<char>(183), 0};
        f.write(aarch64, 2);
    }
    // Unknown manifest major version.
    auto future = install_fixture(root, "13-manifest-v2", "fixture_good_c", "manifest-v2");
    test::write_file(future / "manifest.json", test::manifest_json("manifest-v2", "libfixture_good_c.so", "2.0"));
    // Group-writable plugin directory.
    auto gw = install_fixture(root, "14-group-writable", "fixture_good_c", "group-writable");
    ::chmod(gw.c_str(), 0775);
    // Duplicate id: the second "good-cpp" loses to the first.
    install_fixture(root, "15-good-cpp", "fixture_good_cpp", "good-cpp");
    install_fixture(root, "16-good-cpp-again", "fixture_good_cpp", "good-cpp");
    // Manifest architecture names another machine.
    auto arch = install_fixture(root, "17-manifest-arch", "fixture_good_c", "manifest-arch");
    test::write_file(arch / "manifest.json",
                     test::manifest_json("manifest-arch", "libfixture_good_c.so", "1.0", "riscv"));

    auto reg = discover();

    const std::vector<Expect> expected = {
        {"no-entry", LoadStep::symbol, "ABI-9", "no exported symbol autoarr_provider_negotiate"},
        {"refuse", LoadStep::negotiate, "ABI-5", "refused negotiation"},
        {"null-table", LoadStep::validate, "ABI-4", "NULL provider table"},
        {"wrong-type", LoadStep::validate, "ABI-4", "struct_type 3, expected 4"},
        {"small-size", LoadStep::validate, "ABI-4", "struct_size 16 is below the 1.0 size"},
        {"bad-version", LoadStep::validate, "ABI-5", "chose ABI 9.0, outside the host's range"},
        {"missing-slot", LoadStep::validate, "ABI-10", "required slot complete is NULL"},
        {"not-good-c", LoadStep::validate, "ABI-7", "reports id \"good-c\" but its manifest says \"not-good-c\""},
        {"throws", LoadStep::negotiate, "ABI-11", "thrown across the C ABI"},
        {"startup-fails", LoadStep::startup, "ABI-10", "fixture startup refuses to start"},
        {"not-elf", LoadStep::architecture, "LOAD-5", "not an ELF shared object"},
        {"other-arch", LoadStep::architecture, "LOAD-5", "built for aarch64"},
        {"13-manifest-v2", LoadStep::manifest, "LOAD-1", "unknown manifest major version 2"},
        {"group-writable", LoadStep::permissions, "LOAD-4", "writable by its group"},
        {"manifest-arch", LoadStep::architecture, "LOAD-5", "manifest architecture \"riscv\""},
    };
    for (const auto& e : expected) {
        SCOPED_TRACE(e.id);
        const auto& r = record(reg, e.id);
        EXPECT_FALSE(r.loaded);
        EXPECT_EQ(step_name(r.failure.step), step_name(e.step));
        EXPECT_EQ(r.failure.rule, e.rule);
        EXPECT_NE(r.failure.cause.find(e.cause_contains), std::string::npos) << r.failure.cause;
        // Exactly one log line for this plugin, naming its file and step.
        EXPECT_EQ(lines_mentioning(r.path.string() + ": step " + std::string(step_name(e.step))), 1u);
    }

    // The good ones still load, in name order; the duplicate names the winner.
    EXPECT_TRUE(record(reg, "good-c").loaded);
    std::vector<const PluginRecord*> cpp;
    for (const auto& r : reg.records())
        if (r.id == "good-cpp") cpp.push_back(&r);
    ASSERT_EQ(cpp.size(), 2u);
    EXPECT_TRUE(cpp[0]->loaded);
    EXPECT_NE(cpp[0]->path.string().find("15-good-cpp"), std::string::npos);
    EXPECT_FALSE(cpp[1]->loaded);
    EXPECT_EQ(cpp[1]->failure.step, LoadStep::duplicate);
    EXPECT_NE(cpp[1]->failure.cause.find("15-good-cpp"), std::string::npos);
    EXPECT_EQ(reg.loaded().size(), 2u);
    EXPECT_EQ(reg.records().size(), 18u);
}

TEST_F(LoaderTest, WorldWritableLibraryIsRejected) {
    auto d = install_fixture(dir_.path(), "ww", "fixture_good_c", "good-c");
    ::chmod((d / "libfixture_good_c.so").c_str(), 0757);
    auto reg = discover();
    const auto& r = record(reg, "good-c");
    EXPECT_FALSE(r.loaded);
    EXPECT_EQ(r.failure.step, LoadStep::permissions);
    EXPECT_NE(r.failure.cause.find("writable by others"), std::string::npos) << r.failure.cause;
}

TEST_F(LoaderTest, PluginOwnedByAnotherUserIsRejected) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a file to another user";
    auto d = install_fixture(dir_.path(), "owned", "fixture_good_c", "good-c");
    ASSERT_EQ(::chown((d / "libfixture_good_c.so").c_str(), 65534, 65534), 0);
    auto reg = discover();
    const auto& r = record(reg, "good-c");
    EXPECT_FALSE(r.loaded);
    EXPECT_EQ(r.failure.step, LoadStep::permissions);
    EXPECT_NE(r.failure.cause.find("owned by uid 65534"), std::string::npos) << r.failure.cause;
}

TEST_F(LoaderTest, LibraryMustSitBesideItsManifest) {
    auto d = dir_.path() / "escape";
    test::write_file(d / "manifest.json", test::manifest_json("escape", "../../lib/evil.so"));
    auto reg = discover();
    const auto& r = record(reg, "escape");
    EXPECT_EQ(r.failure.step, LoadStep::manifest);
    EXPECT_NE(r.failure.cause.find("plain file name"), std::string::npos) << r.failure.cause;
}

TEST_F(LoaderTest, DirectoryWithoutManifestAndMalformedManifestAreReported) {
    std::filesystem::create_directories(dir_.path() / "empty");
    test::write_file(dir_.path() / "broken" / "manifest.json", "{\"id\": ");
    auto reg = discover();
    EXPECT_EQ(record(reg, "empty").failure.cause.find("no manifest.json"), 0u);
    EXPECT_NE(record(reg, "broken").failure.cause.find("not valid JSON"), std::string::npos);
}

TEST_F(LoaderTest, SearchPathOrderIsCliThenEnvThenBuiltinThenPrivate) {
    SearchPathOptions o;
    o.cli_dirs = {"/a", "/b"};
    o.env_path = "/c::/a:/d";
    o.executable_dir = "/opt/autoarr/bin";
    auto dirs = plugin_search_path(o);
    std::vector<std::string> got;
    for (const auto& d : dirs) got.push_back(d.path.string() + "@" + d.origin);
    EXPECT_EQ(got, (std::vector<std::string>{"/a@--plugin-dir", "/b@--plugin-dir", "/c@AUTOARR_PLUGIN_PATH",
                                             "/d@AUTOARR_PLUGIN_PATH", "/opt/autoarr/lib/autoarr/plugins@built-in",
                                             "/opt/autoarr/lib/autoarr/private-plugins@private"}));
}

TEST_F(LoaderTest, EarlierSearchDirectoryWinsADuplicateId) {
    TempDir second;
    install_fixture(second.path(), "x", "fixture_good_cpp", "good-cpp");
    install_fixture(dir_.path(), "x", "fixture_good_cpp", "good-cpp");
    auto reg = PluginRegistry::discover({{second.path(), "first"}, {dir_.path(), "second"}});
    ASSERT_EQ(reg.records().size(), 2u);
    EXPECT_TRUE(reg.records()[0].loaded);
    EXPECT_EQ(reg.records()[0].origin, "first");
    EXPECT_EQ(reg.records()[1].failure.step, LoadStep::duplicate);
}

}  // namespace
}  // namespace autoarr::plugin
