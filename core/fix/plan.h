// Turns an audit's findings into the changes that fix them (docs/fixes.md):
// for each chosen finding whose rule carries a fix, the field to write in
// which application, its value in the audited documents (before) and the
// value it gets (after). Findings without a single safe value are listed as
// manual fixes, with the reason. Planning reads documents only; nothing is
// written.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/engine.h"
#include "audit/rule_set.h"

namespace autoarr::fix {

struct Change {
    std::string rule_id;
    std::string severity;
    std::string app;          // sabnzbd | sonarr | radarr
    std::string resource;     // misc, servers, config/host, downloadclient, ... (audit/fix_spec.h)
    std::string item;         // the item of a list resource: SABnzbd by name, Sonarr/Radarr by id; "" otherwise
    std::string label;        // the item as people know it (its name); "" for single resources
    std::string resource_id;  // Sonarr/Radarr: the id the PUT goes to (the item's, or the config resource's)
    std::string field;        // a key, or "fields.NAME" for a Sonarr/Radarr schema field
    boost::json::value before;
    boost::json::value after;
    bool restart = false;  // the app applies it only after a restart
};

struct ManualFix {
    std::string rule_id;
    std::string severity;
    std::string reason;
};

struct Plan {
    std::vector<Change> changes;  // in write order: SABnzbd, then Sonarr, then Radarr; by severity within each
    std::vector<ManualFix> manual;
};

struct Selection {
    std::vector<std::string> rule_ids;  // empty: every finding
    std::string min_severity;           // "" = any; "high" takes critical and high
};

// Throws std::invalid_argument when a chosen rule id is not among the
// findings, or the severity is unknown.
Plan plan_fixes(const audit::RuleSet& rules, const std::vector<audit::Finding>& findings,
                const boost::json::object& documents, const Selection& selection, const std::string& today);

// The order applications are written in: the downloader first, so that the
// *arrs' links to it (hosts, ports, categories) point at what it already is.
int app_order(std::string_view app);

// Reads or sets a field of a resource (or of one item): a key, or
// "fields.NAME" for the value of a Sonarr/Radarr schema field.
std::optional<boost::json::value> read_field(const boost::json::value& resource, std::string_view field);
bool set_field(boost::json::value& resource, std::string_view field, const boost::json::value& value);

// The apps' loose equality: SABnzbd keeps every value as text, so 1, "1"
// and true are the same there; 1.0 and 1 are the same everywhere.
bool same_value(const boost::json::value& a, const boost::json::value& b);

// "misc.safe_postproc", "servers[news.example].ssl_verify", "downloadclient[SABnzbd].fields.useSsl".
std::string setting_name(const Change& c);

}  // namespace autoarr::fix
