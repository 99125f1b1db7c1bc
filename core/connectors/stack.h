// A media stack's configuration documents, by application and endpoint,
// whether fetched live or read from a directory laid out as
// DIR/<app>/<endpoint>.json (the layout `autoarr audit --save DIR` writes).
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace autoarr::connectors {

struct AppStatus {
    std::string name;     // sabnzbd | sonarr | radarr
    std::string status;   // ok | partial | error | not configured
    std::string version;  // when known
    std::string error;    // for error and partial: what is wrong, naming the endpoint
};

struct Stack {
    boost::json::object documents;  // {"sabnzbd": {"get_config": ..}, "sonarr": {...}}
    std::vector<AppStatus> apps;
};

// The endpoints each application is audited from, and the JSON kind each must be.
struct Endpoint {
    const char* name;      // file name without .json
    const char* api_path;  // SABnzbd mode, or the /api/v3 path
    bool is_array;
};
const std::vector<Endpoint>& endpoints_of(std::string_view app);
const std::vector<std::string>& app_names();

// Checks one fetched document; "" when it has the expected shape.
std::string check_shape(std::string_view app, const Endpoint& ep, const boost::json::value& doc);

// Reads DIR/<app>/<endpoint>.json. An application directory that is absent is
// "not configured"; unreadable or malformed documents make that application
// an error (named in its status) and the others are still read.
Stack read_stack_dir(const std::filesystem::path& dir);

// Writes the stack's (already redacted) documents in the same layout.
void save_stack_dir(const Stack& stack, const std::filesystem::path& dir);

// Fills AppStatus::version from the documents.
std::string app_version(std::string_view app, const boost::json::object& docs);

}  // namespace autoarr::connectors
