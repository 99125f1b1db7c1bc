// The plugins found by discovery as JSON: one object per plugin, loaded or
// rejected with the step, the rule and the reason. `autoarr plugins list
// --json` prints it and GET /api/v1/plugins serves it.
#pragma once

#include <boost/json.hpp>
#include <vector>

#include "plugin/plugin_registry.h"

namespace autoarr::plugin {

boost::json::array plugin_records_array(const std::vector<PluginRecord>& records);

}  // namespace autoarr::plugin
