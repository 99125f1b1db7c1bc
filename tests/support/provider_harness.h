// Loads a real first-party provider plugin from the build tree and calls it
// the way the host does (Instance, CallContext, CancelToken).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "plugin/instance.h"
#include "plugin/plugin_registry.h"

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

inline std::string chat_request(const std::string& content, const std::string& extra = "") {
    return R"({"messages":[{"role":"user","content":")" + content + "\"}]" + extra + "}";
}

}  // namespace autoarr::test
