// Calls through the real ABI into real fixture plugins: inputs borrowed,
// outputs copied through sinks, secrets through host services, errors and
// exceptions turned into typed statuses, streams delivered as events.
#include "plugin/instance.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "plugin/plugin_registry.h"
#include "support/plugin_dir.h"

namespace autoarr::plugin {
namespace {

class InstanceTest : public ::testing::Test {
protected:
    void SetUp() override {
        test::install_fixture(dir_.path(), "good-c", "fixture_good_c", "good-c");
        test::install_fixture(dir_.path(), "good-cpp", "fixture_good_cpp", "good-cpp");
        registry_ = PluginRegistry::discover({{dir_.path(), "test"}});
        ASSERT_EQ(registry_.loaded().size(), 2u);
        registry_.find("good-c")->host_context().secret = [](std::string_view name) -> std::optional<std::string> {
            if (name == "api_key") return std::string("sk-12345");
            return std::nullopt;
        };
    }
    std::unique_ptr<Instance> make(const std::string& id, std::string_view config = "{}") {
        CallStatus st;
        auto inst = Instance::create(registry_.find(id), config, st);
        EXPECT_TRUE(st.ok()) << st.message;
        return inst;
    }
    test::TempDir dir_;
    PluginRegistry registry_;
};

TEST_F(InstanceTest, CPluginCompletesWithBorrowedInputAndSecret) {
    auto inst = make("good-c", R"({"k":1})");
    CallContext call;
    std::string out;
    auto st = inst->complete(call, R"({"messages":[]})", out);
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_NE(out.find("echo 15 bytes, config 7 bytes, secret 8 bytes"), std::string::npos) << out;
    EXPECT_EQ(out.find("sk-12345"), std::string::npos);
}

TEST_F(InstanceTest, HealthAndCapabilities) {
    auto inst = make("good-c");
    CallContext call;
    std::string detail;
    EXPECT_TRUE(inst->health(call, detail).ok());
    EXPECT_EQ(detail, R"({"status":"healthy"})");
    EXPECT_TRUE(inst->can_stream());
    EXPECT_FALSE(inst->can_list_models());
    CallStatus st = inst->list_models(call, detail);
    EXPECT_EQ(st.code, AUTOARR_ERR_UNSUPPORTED);
}

TEST_F(InstanceTest, CancelledCallIsReportedAsCancelled) {
    auto inst = make("good-c");
    CancelToken token;
    token.cancel();
    CallContext call(0, &token);
    std::string detail;
    auto st = inst->health(call, detail);
    EXPECT_EQ(st.code, AUTOARR_ERR_CANCELLED);
    EXPECT_EQ(st.message, "cancelled");
}

TEST_F(InstanceTest, StreamDeliversEventsAndHonoursStop) {
    auto inst = make("good-c");
    CallContext call;
    std::string text;
    int done = 0;
    auto st = inst->stream(call, "{}", [&](uint32_t kind, std::string_view data) {
        if (kind == AUTOARR_EVENT_TEXT_DELTA) text += data;
        if (kind == AUTOARR_EVENT_DONE) ++done;
        return true;
    });
    EXPECT_TRUE(st.ok());
    EXPECT_EQ(text, "one two three");
    EXPECT_EQ(done, 1);

    int seen = 0;
    st = inst->stream(call, "{}", [&](uint32_t, std::string_view) { return ++seen < 2; });
    EXPECT_EQ(st.code, AUTOARR_ERR_CANCELLED);
    EXPECT_EQ(seen, 2);
}

// The C++ helper keeps the one stream-stop contract for plugin code that
// ignores the stop: good-cpp writes on and returns normally, yet the host gets
// no event after the stop and the call is CANCELLED, with partial output.
TEST_F(InstanceTest, TheCppHelperTurnsAStopThePluginIgnoredIntoCancelled) {
    auto inst = make("good-cpp");
    CallContext call;
    std::vector<std::string> seen;
    auto st = inst->stream(call, "{}", [&](uint32_t, std::string_view data) {
        seen.emplace_back(data);
        return false;
    });
    EXPECT_EQ(st.code, AUTOARR_ERR_CANCELLED) << st.message;
    EXPECT_NE(st.message.find("the host stopped the stream"), std::string::npos) << st.message;
    EXPECT_TRUE(st.flags & AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT);
    EXPECT_EQ(seen, (std::vector<std::string>{"partial "}));
    // Not stopped, the same plugin streams to its end.
    seen.clear();
    st = inst->stream(call, "{}", [&](uint32_t, std::string_view data) {
        seen.emplace_back(data);
        return true;
    });
    EXPECT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(seen.size(), 3u);
}

TEST_F(InstanceTest, ConfigErrorsNameTheSetting) {
    CallStatus st;
    EXPECT_EQ(Instance::create(registry_.find("good-c"), "invalid", st), nullptr);
    EXPECT_EQ(st.code, AUTOARR_ERR_CONFIG_INVALID);
    EXPECT_NE(st.message.find("'invalid'"), std::string::npos);
    EXPECT_EQ(Instance::create(registry_.find("good-cpp"), "invalid", st), nullptr);
    EXPECT_EQ(st.code, AUTOARR_ERR_CONFIG_INVALID);
    EXPECT_EQ(st.message, "setting 'invalid' is not allowed");
}

TEST_F(InstanceTest, CppHelperTurnsExceptionsIntoTypedErrors) {
    CallStatus st;
    EXPECT_EQ(Instance::create(registry_.find("good-cpp"), "throw", st), nullptr);
    EXPECT_EQ(st.code, AUTOARR_ERR_INTERNAL);
    EXPECT_EQ(st.message, "create threw a plain std::exception");

    auto inst = make("good-cpp");
    EXPECT_EQ(inst->max_concurrency(), 4u);
    CallContext call;
    std::string out;
    st = inst->complete(call, "rate-limit", out);
    EXPECT_EQ(st.code, AUTOARR_ERR_RATE_LIMITED);
    EXPECT_EQ(st.http_status, 429);
    EXPECT_EQ(st.retry_after_ms, 7000);
    EXPECT_TRUE(st.flags & AUTOARR_ERROR_FLAG_RETRYABLE);
    EXPECT_EQ(st.message, "slow down");

    st = inst->complete(call, "boom", out);
    EXPECT_EQ(st.code, AUTOARR_ERR_INTERNAL);
    EXPECT_EQ(st.message, "unexpected state");
}

TEST_F(InstanceTest, CppStreamFailureAfterOutputIsFlaggedPartial) {
    auto inst = make("good-cpp");
    CallContext call;
    std::string text;
    auto st = inst->stream(call, "fail-midway", [&](uint32_t kind, std::string_view d) {
        if (kind == AUTOARR_EVENT_TEXT_DELTA) text += d;
        return true;
    });
    EXPECT_EQ(st.code, AUTOARR_ERR_BACKEND_ERROR);
    EXPECT_TRUE(st.flags & AUTOARR_ERROR_FLAG_PARTIAL_OUTPUT);
    EXPECT_EQ(text, "partial ");
}

TEST_F(InstanceTest, ConcurrentCallsOnAThreadSafeInstance) {
    auto inst = make("good-c");
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                CallContext call;
                std::string out;
                if (inst->complete(call, "{}", out).ok()) ++ok;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1600);
}

TEST(CancelTokenTest, CallbackRunsOnceAndRemoveWaits) {
    CancelToken token;
    int runs = 0;
    auto fn = +[](void* u) { ++*static_cast<int*>(u); };
    uint64_t id = token.add(fn, &runs);
    EXPECT_NE(id, 0u);
    token.cancel();
    token.cancel();
    EXPECT_EQ(runs, 1);
    token.remove(id);
    EXPECT_EQ(token.add(fn, &runs), 0u);  // already cancelled: runs at once
    EXPECT_EQ(runs, 2);
}

TEST(CodesTest, UnknownCodesBecomeInternal) {
    EXPECT_EQ(normalise_code(-999), AUTOARR_ERR_INTERNAL);
    EXPECT_EQ(normalise_code(AUTOARR_ERR_RATE_LIMITED), AUTOARR_ERR_RATE_LIMITED);
    EXPECT_EQ(code_name(AUTOARR_ERR_AUTH_FAILED), "AUTH_FAILED");
}

}  // namespace
}  // namespace autoarr::plugin
