#include "app/default_paths.h"

#include "audit/rule_set.h"
#include "config/config.h"

namespace autoarr::app {

std::string default_db_path() {
    return config::db_path(config::process_environment()).string();
}

std::filesystem::path default_rules_path() {
    return config::rules_file(config::process_environment()).value_or(audit::installed_rules_path());
}

}  // namespace autoarr::app
