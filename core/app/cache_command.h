// `autoarr cache clear [--db PATH]`: empties the explanation cache.
#pragma once

#include <string>
#include <vector>

namespace autoarr::app {

int run_cache_command(const std::vector<std::string>& args);

}  // namespace autoarr::app
