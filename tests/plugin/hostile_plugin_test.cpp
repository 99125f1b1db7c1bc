// A hostile plugin (a real .so, tests/plugin/hostile_plugin.cpp) through the
// host's Instance: what it can put into a log line, an error or a stream is
// bounded, valid UTF-8, and free of known secrets (issue 13, parts 4 and 5).
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "http/text_limits.h"
#include "plugin/instance.h"
#include "plugin/plugin_registry.h"
#include "support/plugin_dir.h"
#include "util/log.h"
#include "util/secret_scrubber.h"

namespace autoarr::test {
namespace {

const char* kPluginKey = "hostile-secret-4d2f8a6c1e9b";

class HostilePluginTest : public ::testing::Test {
protected:
    void SetUp() override {
        install_fixture(dir_.path(), "hostile", "fixture_hostile", "hostile");
        registry_ = plugin::PluginRegistry::discover({{dir_.path(), "test"}});
        plugin_ = registry_.find("hostile");
        ASSERT_NE(plugin_, nullptr);
        plugin_->host_context().secret = [](std::string_view name) -> std::optional<std::string> {
            if (name == "api_key") return std::string(kPluginKey);
            return std::nullopt;
        };
    }
    void TearDown() override { log::set_sink(nullptr); }
    std::unique_ptr<plugin::Instance> make(const std::string& config) {
        plugin::CallStatus st;
        auto inst = plugin::Instance::create(plugin_, config, st);
        EXPECT_TRUE(st.ok()) << st.message;
        return inst;
    }
    plugin::CallStatus complete(plugin::Instance& inst) {
        plugin::CallContext ctx;
        std::string out;
        return inst.complete(ctx, R"({"messages":[{"role":"user","content":"hi"}]})", out);
    }

    TempDir dir_;
    plugin::PluginRegistry registry_;
    std::shared_ptr<plugin::LoadedPlugin> plugin_;
};

TEST_F(HostilePluginTest, ALogLineCannotForgeAnotherLineOrDriveTheTerminal) {
    std::mutex lines_mutex;  // guards lines: the sink may be called from any thread
    std::vector<std::string> lines;
    log::set_sink([&](log::Level, std::string_view component, std::string_view message) {
        std::lock_guard lock(lines_mutex);
        lines.push_back(std::string(component) + ": " + std::string(message));
    });
    make(R"({"log":"hello\n2026-12-01T00:00:00Z error server: forged\r\u001b[31mred\u001b]0;title\u0007 \u009b2J"})");
    std::lock_guard lock(lines_mutex);
    ASSERT_EQ(lines.size(), 1u);
    const std::string& line = lines[0];
    for (char c : {'\n', '\r', '\x1b', '\x07'}) EXPECT_EQ(line.find(c), std::string::npos) << line;
    EXPECT_EQ(line.find("\xC2\x9B"), std::string::npos) << line;  // C1 CSI
    EXPECT_EQ(line,
              "plugin hostile: hello\\n2026-12-01T00:00:00Z error server: forged\\r\\x1b[31mred\\x1b]0;title\\x07 "
              "\\u009b2J");
}

TEST_F(HostilePluginTest, AHugeErrorMessageIsCutTo4KiB) {
    auto inst = make(R"({"error_bytes":33554432})");  // 32 MB
    auto st = complete(*inst);
    EXPECT_EQ(st.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_LE(st.message.size(), http::kMaxErrorText);
    EXPECT_EQ(st.message.substr(0, 100), std::string(100, 'E'));
    EXPECT_NE(st.message.find("\xE2\x80\xA6 (cut)"), std::string::npos);  // it says it was cut
}

TEST_F(HostilePluginTest, IllFormedUtf8InAMessageOrATextDeltaIsReplaced) {
    auto inst = make(R"({"invalid_utf8":true})");
    auto st = complete(*inst);
    EXPECT_TRUE(http::is_valid_utf8(st.message)) << st.message;
    EXPECT_NE(st.message.find("bad \xEF\xBF\xBD( byte \xEF\xBF\xBD end"), std::string::npos) << st.message;
    std::string text;
    plugin::CallContext ctx;
    inst->stream(ctx, "{}", [&](uint32_t kind, std::string_view data) {
        if (kind == AUTOARR_EVENT_TEXT_DELTA) text.append(data);
        return true;
    });
    EXPECT_TRUE(http::is_valid_utf8(text)) << text;
    EXPECT_NE(text.find("ok"), std::string::npos);
}

TEST_F(HostilePluginTest, AKnownSecretInAnErrorOrAHealthReasonIsScrubbed) {
    util::process_secrets().add(kPluginKey);  // what the host does with every configured secret
    auto inst = make(R"({"error_text":"upstream said: key $KEY is wrong"})");
    auto st = complete(*inst);
    EXPECT_EQ(st.message, "upstream said: key **redacted** is wrong");
}

}  // namespace
}  // namespace autoarr::test
