// An Instance backend whose calls go to the plugin's runner (ISO-1).
#pragma once

#include <memory>
#include <string_view>

#include "plugin/instance.h"

namespace autoarr::plugin::isolation {

// Creates the instance in the runner; null with status filled on failure.
std::unique_ptr<InstanceBackend> create_remote_backend(std::shared_ptr<LoadedPlugin> plugin, std::string_view config,
                                                       CallStatus& status, autoarr_capabilities& caps);

}  // namespace autoarr::plugin::isolation
