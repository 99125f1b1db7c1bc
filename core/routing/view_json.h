// JSON for the router's views: provider states and request attempts, as
// printed by `autoarr providers --json` / `chat --json` and served over HTTP.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "routing/router.h"

namespace autoarr::routing {

boost::json::array attempts_array(const std::vector<Attempt>& attempts);
std::string attempts_json(const std::vector<Attempt>& attempts);
boost::json::object provider_object(const ProviderView& provider);
std::string providers_json(const std::vector<ProviderView>& providers);  // an array of provider_object

}  // namespace autoarr::routing
