// ABI 1.1 proves the append-only rules (docs/abi-policy.md, "ABI 1.1"):
// a plugin built against the frozen 1.0 header works in today's 1.1 host,
// and a plugin built against the frozen 1.1 header works in a host that
// accepts only 1.0, where it sees a 1.0 host and uses nothing of 1.1.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "plugin/instance.h"
#include "plugin/plugin_registry.h"
#include "routing/router.h"
#include "support/plugin_dir.h"
#include "util/log.h"

namespace autoarr {
namespace {

using plugin::CallContext;
using plugin::CallStatus;
using plugin::Instance;
using plugin::LoaderOptions;
using plugin::PluginRegistry;

constexpr char kHello[] = R"({"messages":[{"role":"user","content":"hi"}]})";
constexpr char kWithTools[] =
    R"({"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"get_config","description":"d",)"
    R"("parameters":{"type":"object"}}]})";

class AbiVersionsTest : public ::testing::Test {
protected:
    void SetUp() override { log::set_threshold(log::Level::error); }

    PluginRegistry discover(uint32_t host_max) {
        LoaderOptions o;
        o.max_abi_version = host_max;
        return PluginRegistry::discover({{dir_.path(), "test"}}, o);
    }
    std::unique_ptr<Instance> instance(const PluginRegistry& reg, const std::string& id) {
        auto p = reg.find(id);
        EXPECT_TRUE(p) << id << " did not load";
        if (!p) return nullptr;
        CallStatus st;
        auto inst = Instance::create(p, "{}", st);
        EXPECT_TRUE(inst) << st.message;
        return inst;
    }
    static std::string content(const std::string& response_json) {
        return std::string(boost::json::parse(response_json).at("content").as_string());
    }
    // The events a stream delivered, as "kind:data" lines.
    static std::vector<std::string> stream_events(Instance& inst) {
        std::vector<std::string> events;
        CallContext ctx;
        auto st = inst.stream(ctx, kHello, [&](uint32_t kind, std::string_view data) {
            events.push_back(std::to_string(kind) + ":" + std::string(data));
            return true;
        });
        EXPECT_TRUE(st.ok()) << st.message;
        return events;
    }

    test::TempDir dir_;
};

TEST_F(AbiVersionsTest, APluginBuiltFor10WorksInThe11HostAndIsNeverSentTools) {
    test::install_fixture(dir_.path(), "good-c", "fixture_good_c", "good-c");
    auto reg = discover(AUTOARR_ABI_VERSION_CURRENT);
    ASSERT_EQ(reg.find("good-c")->abi_version(), AUTOARR_ABI_VERSION_1_0);
    auto inst = instance(reg, "good-c");
    ASSERT_TRUE(inst);
    std::string out;
    CallContext ctx;
    ASSERT_TRUE(inst->complete(ctx, kHello, out).ok());
    EXPECT_NE(content(out).find("echo"), std::string::npos);

    // It declared no AUTOARR_CAP_TOOLS, so a request with tools never reaches it.
    routing::RouterOptions ro;
    ro.order = {"good-c"};
    routing::Router router({{reg.find("good-c"), "{}", {}}}, ro);
    routing::RouteRequest req;
    req.request_json = kWithTools;
    auto r = router.complete(req);
    EXPECT_EQ(r.status.code, AUTOARR_ERR_UNSUPPORTED);
    EXPECT_NE(r.status.message.find("good-c: does not support tools (AUTOARR_CAP_TOOLS)"), std::string::npos)
        << r.status.message;
    ASSERT_EQ(r.attempts.size(), 1u);
    EXPECT_EQ(r.attempts[0].outcome, "skipped");
}

TEST_F(AbiVersionsTest, APluginBuiltFor11UsesWhat11AppendedInThe11Host) {
    test::install_fixture(dir_.path(), "v11", "fixture_v11_c", "v11-c");
    auto reg = discover(AUTOARR_ABI_VERSION_CURRENT);
    ASSERT_EQ(reg.find("v11-c")->abi_version(), AUTOARR_ABI_VERSION_1_1);
    auto inst = instance(reg, "v11-c");
    ASSERT_TRUE(inst);
    EXPECT_TRUE(inst->capability_flags() & AUTOARR_CAP_TOOLS);

    std::string out;
    CallContext ctx;
    ASSERT_TRUE(inst->complete(ctx, kWithTools, out).ok());
    EXPECT_EQ(content(out), "abi 1.1 services " + std::to_string(sizeof(autoarr_host_services)) + " tools 1");

    // The request id reaches the host through the 1.1 service.
    CallStatus failed = inst->complete(ctx, R"({"messages":[{"role":"user","content":"fail"}]})", out);
    EXPECT_EQ(failed.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_EQ(failed.request_id, "req-fixture-42");
    EXPECT_NE(failed.message.find("(request id req-fixture-42)"), std::string::npos) << failed.message;

    auto events = stream_events(*inst);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].rfind(std::to_string(AUTOARR_EVENT_TOOL_CALL) + ":{\"index\":0", 0), 0u) << events[0];
    EXPECT_NE(events[2].find("tool_calls"), std::string::npos);

    // And the router sends it the tools it declared.
    routing::RouterOptions ro;
    ro.order = {"v11-c"};
    routing::Router router({{reg.find("v11-c"), "{}", {}}}, ro);
    routing::RouteRequest req;
    req.request_json = kWithTools;
    auto r = router.complete(req);
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    EXPECT_NE(content(r.response_json).find("tools 1"), std::string::npos);
}

TEST_F(AbiVersionsTest, APluginBuiltFor11SeesA10HostAsA10Host) {
    test::install_fixture(dir_.path(), "v11", "fixture_v11_c", "v11-c");
    auto reg = discover(AUTOARR_ABI_VERSION_1_0);  // a host that accepts only 1.0
    ASSERT_TRUE(reg.find("v11-c"));
    EXPECT_EQ(reg.find("v11-c")->abi_version(), AUTOARR_ABI_VERSION_1_0);
    auto inst = instance(reg, "v11-c");
    ASSERT_TRUE(inst);

    // The services table it was given ends where 1.0's ends.
    std::string out;
    CallContext ctx;
    ASSERT_TRUE(inst->complete(ctx, kHello, out).ok());
    const auto size_1_0 = offsetof(autoarr_host_services, metric) + sizeof(void*);
    EXPECT_EQ(content(out), "abi 1.0 services " + std::to_string(size_1_0) + " tools 0");

    // It checked the table's size before the 1.1 slot, so no request id, and no crash.
    CallStatus failed = inst->complete(ctx, R"({"messages":[{"role":"user","content":"fail"}]})", out);
    EXPECT_EQ(failed.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_TRUE(failed.request_id.empty());

    // No 1.1 event kind reaches a 1.0 host.
    auto events = stream_events(*inst);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0], std::to_string(AUTOARR_EVENT_TEXT_DELTA) + ":text");
}

TEST_F(AbiVersionsTest, APluginThatNeeds11IsRejectedByA10HostAtNegotiate) {
    test::install_fixture(dir_.path(), "v11-only", "fixture_v11_only_c", "v11-only");
    auto reg = discover(AUTOARR_ABI_VERSION_1_0);
    ASSERT_EQ(reg.records().size(), 1u);
    const auto& r = reg.records()[0];
    EXPECT_FALSE(r.loaded);
    EXPECT_EQ(plugin::step_name(r.failure.step), "negotiate");
    EXPECT_EQ(r.failure.rule, "ABI-5");
    EXPECT_NE(r.failure.cause.find("1.0..1.0"), std::string::npos) << r.failure.cause;
    // Today's host takes it.
    EXPECT_TRUE(discover(AUTOARR_ABI_VERSION_CURRENT).find("v11-only"));
}

}  // namespace
}  // namespace autoarr
