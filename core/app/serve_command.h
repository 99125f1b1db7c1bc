// `autoarr serve`: the service users run next to their stack.
#pragma once

#include <string>
#include <vector>

namespace autoarr::app {

int run_serve_command(const std::vector<std::string>& args);

}  // namespace autoarr::app
