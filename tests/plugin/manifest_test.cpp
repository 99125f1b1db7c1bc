#include "plugin/manifest.h"

#include <autoarr/provider.h>
#include <gtest/gtest.h>

namespace autoarr::plugin {
namespace {

const char* kGood = R"({"manifest_version":"1.3","id":"ollama","name":"Ollama","version":"0.1.0",
  "library":"libautoarr_plugin_ollama.so","architecture":"x86_64","abi_version":"1.0","priority":10,
  "some_future_field":[1,2,3]})";

TEST(ManifestTest, ParsesAndIgnoresUnknownFields) {
    auto r = parse_manifest(kGood, "/p/ollama/manifest.json");
    ASSERT_TRUE(r.manifest) << r.error;
    EXPECT_EQ(r.manifest->id, "ollama");
    EXPECT_EQ(r.manifest->library, "/p/ollama/libautoarr_plugin_ollama.so");
    EXPECT_EQ(r.manifest->abi_version_number, 0x10000u);
    EXPECT_EQ(r.manifest->priority, 10);
}

TEST(ManifestTest, ErrorsNameTheField) {
    struct Case {
        std::string text;
        std::string error;
    };
    const std::vector<Case> cases = {
        {"[1]", "the manifest must be a JSON object"},
        {"{", "not valid JSON"},
        {R"({"manifest_version":"3.1"})", "unknown manifest major version 3"},
        {R"({"manifest_version":"x"})", "manifest_version \"x\" is not <major>.<minor>"},
        {R"({"manifest_version":"1.0"})", "missing required field \"id\""},
        {R"({"manifest_version":"1.0","id":"Bad Id"})", "id \"Bad Id\" must match"},
        {R"({"manifest_version":"1.0","id":"a","name":5})", "field \"name\" must be a string"},
        {R"({"manifest_version":"1.0","id":"a","name":"A","version":"1","library":"/abs.so"})",
         "must be a plain file name"},
        {R"({"manifest_version":"1.0","id":"a","name":"A","version":"1","library":"l.so","architecture":"x86_64",
            "abi_version":"1.0","priority":"high"})",
         "field \"priority\" must be an integer"},
        {R"({"manifest_version":"1.0","id":"a","name":"A","version":"1","library":"l.so","architecture":"x86_64",
            "abi_version":"1.0","isolation":"sandbox"})",
         "isolation \"sandbox\" is not \"in-process\" or \"process\""},
    };
    for (const auto& c : cases) {
        auto r = parse_manifest(c.text, "/m.json");
        EXPECT_FALSE(r.manifest) << c.text;
        EXPECT_NE(r.error.find(c.error), std::string::npos) << "got: " << r.error << "\nwanted: " << c.error;
    }
}

TEST(ManifestTest, AbiVersionText) {
    EXPECT_EQ(parse_abi_version("1.0"), 0x10000u);
    EXPECT_EQ(parse_abi_version("2.15"), 0x2000Fu);
    EXPECT_FALSE(parse_abi_version("1"));
    EXPECT_FALSE(parse_abi_version("1.0.0"));
    EXPECT_FALSE(parse_abi_version(".1"));
    EXPECT_FALSE(parse_abi_version("70000.0"));
    EXPECT_EQ(format_abi_version(0x10002u), "1.2");
}

TEST(ManifestTest, ChooseVersionFromTheSdkHeader) {
    autoarr_negotiate_input in{AUTOARR_STRUCT_NEGOTIATE_INPUT, sizeof in, 0x10000, 0x10003, "t", nullptr};
    EXPECT_EQ(autoarr_choose_abi_version(&in, 0x10000, 0x10001), 0x10001u);
    EXPECT_EQ(autoarr_choose_abi_version(&in, 0x10002, 0x10009), 0x10003u);
    EXPECT_EQ(autoarr_choose_abi_version(&in, 0x20000, 0x20001), 0u);
    in.struct_type = 99;
    EXPECT_EQ(autoarr_choose_abi_version(&in, 0x10000, 0x10000), 0u);
}

}  // namespace
}  // namespace autoarr::plugin
