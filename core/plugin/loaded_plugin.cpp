#include "plugin/loaded_plugin.h"

#include "plugin/isolation/remote_plugin.h"
#include "util/log.h"

namespace autoarr::plugin {

LoadedPlugin::LoadedPlugin(Manifest manifest, uint32_t abi_version, const autoarr_plugin_info* info,
                           const autoarr_provider_table* table, std::unique_ptr<PluginHostContext> context)
    : manifest_(std::move(manifest)),
      abi_version_(abi_version),
      info_(info),
      table_(table),
      context_(std::move(context)) {}

LoadedPlugin::LoadedPlugin(Manifest manifest, uint32_t abi_version, const isolation::RemoteInfo& info,
                           std::unique_ptr<isolation::RemotePlugin> remote, std::unique_ptr<PluginHostContext> context)
    : manifest_(std::move(manifest)),
      abi_version_(abi_version),
      info_(nullptr),
      table_(nullptr),
      context_(std::move(context)),
      remote_(std::move(remote)),
      isolation_("process"),
      sandbox_(info.sandbox),
      remote_has_list_models_(info.has_list_models),
      remote_has_stream_(info.has_stream) {}

LoadedPlugin::~LoadedPlugin() {
    if (remote_) {
        remote_->shutdown();
        remote_.reset();  // before context_, which the supervisor's reader uses
        return;
    }
    try {
        table_->module_shutdown();
    } catch (...) {
        log::error("plugin", manifest_.library.string() + ": module_shutdown threw an exception (ABI-11)");
    }
}

bool LoadedPlugin::has_list_models() const {
    if (remote_) return remote_has_list_models_;
    return AUTOARR_HAS_FIELD(table_, autoarr_provider_table, list_models) && table_->list_models;
}

bool LoadedPlugin::has_stream() const {
    if (remote_) return remote_has_stream_;
    return AUTOARR_HAS_FIELD(table_, autoarr_provider_table, stream) && table_->stream;
}

}  // namespace autoarr::plugin
