// Every way a plugin can be wrong ends in its documented step and reason,
// while the good plugins beside it still load (docs/abi-policy.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <vector>

#include "plugin/plugin_registry.h"
#include "support/plugin_dir.h"
#include "support/run_process.h"
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
        {"bad-version", LoadStep::negotiate, "ABI-5", "chose ABI 9.0, outside the host's range"},
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

// LOAD-4 covers the manifest too: whoever can rewrite it chooses the library.
TEST_F(LoaderTest, WorldWritableLibraryOrManifestIsRejected) {
    for (const char* file : {"libfixture_good_c.so", "manifest.json"}) {
        SCOPED_TRACE(file);
        TempDir root;
        auto d = install_fixture(root.path(), "ww", "fixture_good_c", "good-c");
        ::chmod((d / file).c_str(), 0757);
        auto reg = PluginRegistry::discover({{root.path(), "test"}});
        const auto& r = record(reg, "good-c");
        EXPECT_FALSE(r.loaded);
        EXPECT_EQ(r.failure.step, LoadStep::permissions);
        EXPECT_EQ(r.failure.rule, "LOAD-4");
        EXPECT_NE(r.failure.cause.find((d / file).string() + " is writable by others"), std::string::npos)
            << r.failure.cause;
        EXPECT_EQ(lines_mentioning(r.path.string() + ": step permissions: "), 1u);
    }
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

// LOAD-4 covers the library as resolved: a symlink from a trusted plugin
// directory into a directory anyone may write is refused, naming both.
TEST_F(LoaderTest, LibrarySymlinkedIntoAWorldWritableDirectoryIsRejected) {
    TempDir elsewhere;
    const auto drop = elsewhere.path() / "drop";
    std::filesystem::create_directories(drop);
    ::chmod(drop.c_str(), 0777);
    std::filesystem::copy_file(test::fixture_library("fixture_good_c"), drop / "libfixture_good_c.so");
    ::chmod((drop / "libfixture_good_c.so").c_str(), 0755);
    auto d = install_fixture(dir_.path(), "linked", "fixture_good_c", "good-c");
    std::filesystem::remove(d / "libfixture_good_c.so");
    std::filesystem::create_symlink(drop / "libfixture_good_c.so", d / "libfixture_good_c.so");

    auto reg = discover();
    const auto& r = record(reg, "good-c");
    EXPECT_FALSE(r.loaded);
    EXPECT_EQ(r.failure.step, LoadStep::permissions);
    EXPECT_EQ(r.failure.rule, "LOAD-4");
    EXPECT_NE(r.failure.cause.find("resolves to " + (drop / "libfixture_good_c.so").string()), std::string::npos)
        << r.failure.cause;
    EXPECT_NE(r.failure.cause.find(drop.string() + " is writable by others (mode 0777)"), std::string::npos)
        << r.failure.cause;
    EXPECT_EQ(lines_mentioning(r.path.string() + ": step permissions: "), 1u);
    EXPECT_EQ(lines_mentioning("(docs/abi-policy.md LOAD-4)"), 1u);
}

// Every directory up to the root counts; a sticky one (like /tmp, where these
// tests live) is accepted above the plugin's own directory, a plain one is not.
TEST_F(LoaderTest, AWritableDirectoryAboveThePluginIsRejectedUnlessSticky) {
    const auto outer = dir_.path() / "shared";
    install_fixture(outer / "plugins", "x", "fixture_good_c", "good-c");
    ::chmod(outer.c_str(), 0777);
    auto reg = PluginRegistry::discover({{outer / "plugins", "test"}});
    ASSERT_EQ(reg.records().size(), 1u);
    EXPECT_FALSE(reg.records()[0].loaded);
    EXPECT_NE(reg.records()[0].failure.cause.find(outer.string() + " is writable by others"), std::string::npos)
        << reg.records()[0].failure.cause;

    ::chmod(outer.c_str(), 01777);
    auto sticky = PluginRegistry::discover({{outer / "plugins", "test"}});
    EXPECT_TRUE(sticky.records()[0].loaded) << sticky.records()[0].reason();
}

// LOAD-8 in-process: a plugin that kills or hangs the host cannot be reported
// afterwards, so each step that runs its code is announced first and the last
// line of the real binary's log names the culprit.
// The last line the host logged ("<UTC time> <level> <component>: ..."); the
// shell may add its own "Aborted" or "Killed" after it.
std::string last_log_line(const std::string& text) {
    static const std::regex log_line(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ .*)");
    std::string last, line;
    std::istringstream in(text);
    while (std::getline(in, line))
        if (std::regex_match(line, log_line)) last = line;
    return last;
}

// `plugins list` over dir with the plugins in `isolation` (ISO-1: a --plugin-dir defaults to "process").
std::string plugins_list(const std::filesystem::path& dir, const std::string& log_level,
                         const std::string& isolation = "in-process") {
    const auto config = dir / ("config-" + isolation + ".json");  // a file: discovery skips it
    test::write_file(config, R"({"plugins": {"isolation": {"good-c": ")" + isolation + R"(", "crash-at-startup": ")" +
                                 isolation + R"(", "hang-at-load": ")" + isolation +
                                 R"("}, "runner": {"load_deadline_ms": 2000}}})");
    // In-process, a hang is ended by timeout(1); in a runner, by the load deadline.
    return std::string("timeout -s KILL ") + (isolation == "process" ? "20 " : "5 ") +
           test::shell_quote(AUTOARR_BINARY) + " --log-level " + log_level +
           " plugins list --no-builtin-plugins --config " + test::shell_quote(config.string()) + " --plugin-dir " +
           test::shell_quote(dir.string());
}

TEST_F(LoaderTest, APluginThatCrashesTheHostAtStartupIsNamedByTheLastLogLine) {
    install_fixture(dir_.path(), "00-good", "fixture_good_c", "good-c");
    auto crash = install_fixture(dir_.path(), "01-crash", "fixture_crash_at_startup", "crash-at-startup");
    const std::string lib = (crash / "libfixture_crash_at_startup.so").string();

    auto info = test::run_process(plugins_list(dir_.path(), "info"));
    EXPECT_NE(info.exit_code, 0);
    EXPECT_NE(last_log_line(info.err).find("plugin: loading crash-at-startup from " + lib + ": step load"),
              std::string::npos)
        << info.err;
    EXPECT_NE(info.err.find("loading good-c from "), std::string::npos) << info.err;

    auto debug = test::run_process(plugins_list(dir_.path(), "debug"));
    EXPECT_NE(last_log_line(debug.err).find("loading crash-at-startup from " + lib + ": step startup"),
              std::string::npos)
        << debug.err;
}

TEST_F(LoaderTest, APluginThatHangsTheHostAtLoadIsNamedByTheLastLogLine) {
    install_fixture(dir_.path(), "00-good", "fixture_good_c", "good-c");
    auto hang = install_fixture(dir_.path(), "01-hang", "fixture_hang_at_load", "hang-at-load");
    auto r = test::run_process(plugins_list(dir_.path(), "info"));
    EXPECT_NE(r.exit_code, 0);  // killed by timeout(1)
    EXPECT_NE(last_log_line(r.err).find("loading hang-at-load from " + (hang / "libfixture_hang_at_load.so").string() +
                                        ": step load"),
              std::string::npos)
        << r.err;
}

// ISO-3: in a runner, the same plugins cost the host nothing: each is
// rejected with how its runner ended, and the good one loads.
TEST_F(LoaderTest, InARunnerACrashOrAHangAtLoadIsARejectionWithItsReason) {
    install_fixture(dir_.path(), "00-good", "fixture_good_c", "good-c");
    install_fixture(dir_.path(), "01-crash", "fixture_crash_at_startup", "crash-at-startup");
    install_fixture(dir_.path(), "02-hang", "fixture_hang_at_load", "hang-at-load");
    auto r = test::run_process(plugins_list(dir_.path(), "warn", "process") + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(R"("id":"good-c")"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(R"("state":"loaded","isolation":"process")"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("was killed by signal 6 (SIGABRT) while loading"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("did not finish loading within 2000 ms"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("rejected " + (dir_.path() / "01-crash").string()), std::string::npos) << r.err;
}

}  // namespace
}  // namespace autoarr::plugin
