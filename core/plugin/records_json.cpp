#include "plugin/records_json.h"

namespace autoarr::plugin {
namespace json = boost::json;

json::array plugin_records_array(const std::vector<PluginRecord>& records) {
    json::array out;
    for (const auto& r : records) {
        json::object o;
        o["id"] = r.id;
        o["name"] = r.name;
        o["version"] = r.version;
        o["abi_version"] = r.abi_version;
        o["priority"] = r.priority;
        o["path"] = r.path.string();
        o["origin"] = r.origin;
        o["state"] = r.loaded ? "loaded" : "rejected";
        if (!r.isolation.empty()) o["isolation"] = r.isolation;
        if (!r.signature.empty()) o["signature"] = r.signature;
        if (r.plugin && !r.plugin->sandbox().empty()) o["sandbox"] = r.plugin->sandbox();
        if (!r.loaded) {
            o["step"] = std::string(step_name(r.failure.step));
            o["rule"] = r.failure.rule;
            o["reason"] = r.reason();
        }
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace autoarr::plugin
