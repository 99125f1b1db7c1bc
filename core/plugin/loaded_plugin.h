// A provider plugin that passed every check, was negotiated and started.
#pragma once

#include <autoarr/provider.h>

#include <memory>
#include <mutex>
#include <string>

#include "plugin/host_services.h"
#include "plugin/manifest.h"

namespace autoarr::plugin {
namespace isolation {
class RemotePlugin;
struct RemoteInfo;
}  // namespace isolation

class LoadedPlugin {
public:
    LoadedPlugin(Manifest manifest, uint32_t abi_version, const autoarr_plugin_info* info,
                 const autoarr_provider_table* table, std::unique_ptr<PluginHostContext> context);
    // A process-isolated plugin (ISO-1): its code runs in a runner; table() and info() are null.
    LoadedPlugin(Manifest manifest, uint32_t abi_version, const isolation::RemoteInfo& info,
                 std::unique_ptr<isolation::RemotePlugin> remote, std::unique_ptr<PluginHostContext> context);
    // Runs module_shutdown (ABI-17), or stops the runner. The library itself stays mapped (ABI-19).
    ~LoadedPlugin();
    LoadedPlugin(const LoadedPlugin&) = delete;
    LoadedPlugin& operator=(const LoadedPlugin&) = delete;

    const Manifest& manifest() const { return manifest_; }
    const std::string& id() const { return manifest_.id; }
    uint32_t abi_version() const { return abi_version_; }
    const autoarr_plugin_info* info() const { return info_; }
    const autoarr_provider_table* table() const { return table_; }
    PluginHostContext& host_context() { return *context_; }
    // The runner's supervisor of a process-isolated plugin; null in-process.
    isolation::RemotePlugin* remote() const { return remote_.get(); }
    const std::string& isolation() const { return isolation_; }
    const std::string& sandbox() const { return sandbox_; }  // the runner's limits (process isolation)

    // Optional slots present in both the table the plugin gave and its size.
    bool has_list_models() const;
    bool has_stream() const;

    // create/destroy of this plugin's instances are serialised (ABI-17).
    std::mutex& lifecycle_mutex() { return lifecycle_; }

private:
    Manifest manifest_;
    uint32_t abi_version_;
    const autoarr_plugin_info* info_;
    const autoarr_provider_table* table_;
    std::unique_ptr<PluginHostContext> context_;
    std::unique_ptr<isolation::RemotePlugin> remote_;
    std::string isolation_ = "in-process";
    std::string sandbox_;
    bool remote_has_list_models_ = false;
    bool remote_has_stream_ = false;
    std::mutex lifecycle_;
};

}  // namespace autoarr::plugin
