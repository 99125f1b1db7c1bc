// `autoarr providers [--json]` and `autoarr chat ...`: the router, as users
// and plugin authors see it.
#pragma once

#include <string>
#include <vector>

#include "routing/router.h"

namespace autoarr::app {

int run_providers_command(const std::vector<std::string>& args);
int run_chat_command(const std::vector<std::string>& args);

// The JSON array of `providers --json` (also served over HTTP).
std::string providers_json(const std::vector<routing::ProviderView>& providers);
// The attempts of a routed request as a JSON array.
std::string attempts_json(const std::vector<routing::Attempt>& attempts);

}  // namespace autoarr::app
