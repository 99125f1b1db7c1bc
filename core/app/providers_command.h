// `autoarr providers [--json]` and `autoarr chat ...`: the router, as users
// and plugin authors see it.
#pragma once

#include <string>
#include <vector>

namespace autoarr::app {

int run_providers_command(const std::vector<std::string>& args);
int run_chat_command(const std::vector<std::string>& args);

}  // namespace autoarr::app
