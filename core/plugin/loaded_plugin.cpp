#include "plugin/loaded_plugin.h"

#include "util/log.h"

namespace autoarr::plugin {

LoadedPlugin::LoadedPlugin(Manifest manifest, uint32_t abi_version, const autoarr_plugin_info* info,
                           const autoarr_provider_table* table, std::unique_ptr<PluginHostContext> context)
    : manifest_(std::move(manifest)),
      abi_version_(abi_version),
      info_(info),
      table_(table),
      context_(std::move(context)) {}

LoadedPlugin::~LoadedPlugin() {
    try {
        table_->module_shutdown();
    } catch (...) {
        log::error("plugin", manifest_.library.string() + ": module_shutdown threw an exception (ABI-11)");
    }
}

bool LoadedPlugin::has_list_models() const {
    return AUTOARR_HAS_FIELD(table_, autoarr_provider_table, list_models) && table_->list_models;
}

bool LoadedPlugin::has_stream() const {
    return AUTOARR_HAS_FIELD(table_, autoarr_provider_table, stream) && table_->stream;
}

}  // namespace autoarr::plugin
