// Fetches each configured application's documents from its live API, all
// applications in parallel, each bounded by a timeout. A wrong key, a refused
// connection, a non-JSON answer or an unexpected shape is that application's
// error (named in its status); the other applications are still audited.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "config/config.h"
#include "connectors/stack.h"

namespace autoarr::connectors {

struct LiveOptions {
    std::chrono::milliseconds timeout{15000};  // per application
};

Stack fetch_stack(const std::map<std::string, config::AppConfig>& apps, const LiveOptions& options = {});

}  // namespace autoarr::connectors
