// A rule's machine-applicable fix, as data in the rule file (docs/fixes.md):
// which application, API resource and field to change, and the new value,
// a constant or an expression over the documents. Checked when the rule file
// is loaded, like the rule's own expressions.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace autoarr::audit {

struct FixSpec {
    // sabnzbd | sonarr | radarr, or "arrs": each of Sonarr and Radarr whose
    // documents are present, with $app bound to it.
    std::string app;
    // SABnzbd: a get_config section (misc, logging, servers, categories,
    // sorters). Sonarr/Radarr: an /api/v3 resource (config/host,
    // config/mediamanagement, config/naming, config/downloadclient,
    // downloadclient, remotepathmapping).
    std::string resource;
    // For list resources: an expression giving the items to change, each
    // bound to `var` while `value` is evaluated. Null for single resources.
    boost::json::value each;
    std::string var = "item";
    // The field: a key of the resource (or item); "fields.NAME" is the value
    // of a Sonarr/Radarr schema field.
    std::string field;
    boost::json::value value;  // an expression (docs/rules.md); constants are literals
    bool restart = false;      // the app applies it only after a restart
};

// True for resources that hold several items (servers, downloadclient, ...).
bool is_list_resource(std::string_view app, std::string_view resource);
// The document a resource is audited from: "get_config" for SABnzbd,
// "config_host" for config/host, and so on.
std::string document_of(std::string_view app, std::string_view resource);
// A field AutoArr never writes: keys, passwords, user names and tokens.
bool is_secret_field(std::string_view field);

// Parses a rule's "fix" member: one object or an array of them. `rule_app`
// is the app a templated rule runs for ("" for the others), `application`
// the catalog's (sabnzbd, sonarr, radarr, cross-app). Throws
// std::invalid_argument naming the problem.
std::vector<FixSpec> parse_fixes(const boost::json::value& fix, const std::string& rule_app,
                                 const std::string& application);

}  // namespace autoarr::audit
