// Loads a real first-party provider plugin from the build tree and calls it
// the way the host does (Instance, CallContext, CancelToken).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "plugin/instance.h"
#include "plugin/plugin_registry.h"
#include "support/fixture_server.h"
#include "support/manifest_fixtures.h"

#ifndef AUTOARR_BUILTIN_PLUGIN_DIR
#error "AUTOARR_BUILTIN_PLUGIN_DIR must name <build>/lib/autoarr/plugins"
#endif

namespace autoarr::test {

inline std::shared_ptr<plugin::LoadedPlugin> builtin_plugin(const std::string& id) {
    static plugin::PluginRegistry registry =
        plugin::PluginRegistry::discover({{AUTOARR_BUILTIN_PLUGIN_DIR, "built-in"}});
    return registry.find(id);
}

struct StreamResult {
    plugin::CallStatus status;
    std::string text;
    std::vector<std::string> usage;  // USAGE event payloads
    std::vector<std::string> done;   // DONE event payloads
    int events = 0;
};

inline StreamResult stream_call(plugin::Instance& inst, const std::string& request, int64_t deadline_ns = 0,
                                plugin::CancelToken* token = nullptr) {
    StreamResult r;
    plugin::CallContext ctx(deadline_ns, token);
    r.status = inst.stream(ctx, request, [&](uint32_t kind, std::string_view data) {
        ++r.events;
        if (kind == AUTOARR_EVENT_TEXT_DELTA) r.text.append(data);
        if (kind == AUTOARR_EVENT_USAGE) r.usage.emplace_back(data);
        if (kind == AUTOARR_EVENT_DONE) r.done.emplace_back(data);
        return true;
    });
    return r;
}

// An instance of `plugin` with these settings; a refusal fails the test with its message.
inline std::unique_ptr<plugin::Instance> instance_of(const std::shared_ptr<plugin::LoadedPlugin>& plugin,
                                                     const std::string& settings) {
    plugin::CallStatus st;
    auto inst = plugin::Instance::create(plugin, settings, st);
    EXPECT_TRUE(st.ok()) << st.message;
    return inst;
}

// A response with this status, body and content type; chunked in 64 KiB pieces when asked.
inline FixtureResponse body_response(int status, std::string body, std::string content_type = "application/json",
                                     bool chunked = false) {
    FixtureResponse r;
    r.status = status;
    r.headers = {{"Content-Type", std::move(content_type)}};
    r.body = std::move(body);
    r.chunked = chunked;
    if (chunked) r.pieces.assign(r.body.size() / (64 * 1024) + 1, 64 * 1024);
    return r;
}

inline std::string chat_request(const std::string& content, const std::string& extra = "") {
    return R"({"messages":[{"role":"user","content":")" + content + "\"}]" + extra + "}";
}

// Serves the stream `file` at POST `path` under every chunk-hostile delivery
// plan its manifest lists, and checks that each reassembles into the text
// under `text_key` in the manifest's split expectations.
inline void expect_every_plan_reassembles(FixtureServer& server, const std::string& path,
                                          const ManifestFixtures& fixtures, const std::string& file,
                                          const char* text_key, plugin::Instance& inst) {
    const std::string want(fixtures.splits_expected(file).at(text_key).as_string());
    for (const auto& [name, plan] : fixtures.hostile_plans(file)) {
        SCOPED_TRACE(file + " / " + name);
        server.on("POST", path, [&fixtures, file, plan = plan](const ReceivedRequest&) {
            auto r = fixtures.response(file);
            r.pieces = plan;
            return r;
        });
        auto r = stream_call(inst, chat_request("hi"));
        ASSERT_TRUE(r.status.ok()) << r.status.message;
        ASSERT_EQ(r.text, want);
    }
}

}  // namespace autoarr::test
