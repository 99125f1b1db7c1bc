// The settings reader every first-party plugin uses: absent keys keep the
// default, and a wrong type or range is one sentence naming the key.
#include "settings_reader.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>

namespace autoarr::plugin_json {
namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(SettingsReader, AbsentKeysKeepTheDefaultsAndPresentOnesAreRead) {
    const SettingsReader empty("");
    std::string url = "http://default";
    double timeout = 5;
    int64_t n = 8;
    std::optional<int64_t> window;
    bool flag = true;
    std::string mode = "auto";
    empty.text("url", url);
    empty.positive("timeout_s", timeout);
    empty.integer("n", n, 0, 10);
    empty.integer("window", window, 256, 1024);
    empty.boolean("flag", flag);
    empty.choice("mode", mode, {"auto", "on"});
    EXPECT_EQ(url, "http://default");
    EXPECT_EQ(timeout, 5);
    EXPECT_EQ(n, 8);
    EXPECT_FALSE(window);
    EXPECT_TRUE(flag);
    EXPECT_EQ(mode, "auto");

    const SettingsReader in(
        R"({"url":"http://x","timeout_s":0.5,"n":10,"window":256,"flag":false,"mode":"on","extra":[1]})");
    in.text("url", url);
    in.positive("timeout_s", timeout);
    in.integer("n", n, 0, 10);
    in.integer("window", window, 256, 1024);
    in.boolean("flag", flag);
    in.choice("mode", mode, {"auto", "on"});
    EXPECT_EQ(url, "http://x");
    EXPECT_EQ(timeout, 0.5);
    EXPECT_EQ(n, 10);
    EXPECT_EQ(window, 256);
    EXPECT_FALSE(flag);
    EXPECT_EQ(mode, "on");
    ASSERT_NE(in.raw("extra"), nullptr);
}

TEST(SettingsReader, EachWrongValueNamesItsKeyAndWhatItMustBe) {
    std::string s;
    double d = 1;
    int64_t n = 0;
    bool b = false;
    EXPECT_EQ(error_of([] { SettingsReader("[1]"); }), "the settings must be a JSON object");
    EXPECT_EQ(error_of([&] { SettingsReader(R"({"k":7})").text("k", s); }), R"(setting "k" must be a string)");
    EXPECT_EQ(error_of([&] { SettingsReader(R"({"k":""})").text("k", s, false); }),
              R"(setting "k" must be a non-empty string)");
    EXPECT_EQ(error_of([&] { SettingsReader(R"({"k":0})").positive("k", d); }),
              R"(setting "k" must be a positive number)");
    EXPECT_EQ(error_of([&] { SettingsReader(R"({"k":"3"})").positive("k", d); }),
              R"(setting "k" must be a positive number)");
    EXPECT_EQ(error_of([&] { SettingsReader(R"({"k":257})").integer("k", n, 0, 256); }),
              R"(setting "k" must be an integer from 0 to 256)");
    EXPECT_EQ(error_of([&] { SettingsReader(R"({"k":1.5})").integer("k", n, 0, 256); }),
              R"(setting "k" must be an integer from 0 to 256)");
    EXPECT_EQ(error_of([&] { SettingsReader(R"({"k":0})").integer("k", n, 1, std::numeric_limits<int64_t>::max()); }),
              R"(setting "k" must be a positive integer)");
    EXPECT_EQ(error_of([&] { SettingsReader(R"({"k":"yes"})").boolean("k", b); }),
              R"(setting "k" must be true or false)");
    EXPECT_EQ(error_of([&] {
                  SettingsReader(R"({"k":"xml"})").choice("k", s, {"a", "b"});
              }),
              R"(setting "k" must be one of "a", "b")");
    EXPECT_EQ(n, 0);  // nothing was written on the way
}

}  // namespace
}  // namespace autoarr::plugin_json
