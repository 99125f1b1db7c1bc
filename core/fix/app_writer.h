// Writes one field of one application through its real API (docs/fixes.md):
// SABnzbd's set_config, read back with get_config; Sonarr's and Radarr's
// whole-resource GET, change, PUT. A writer never writes a secret field and
// never puts the API key in an error or a log line.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "config/config.h"
#include "fix/plan.h"

namespace autoarr::fix {

// What went wrong, in the application's own words where it gave any (a
// Sonarr validation failure names the property and the reason).
class WriteError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class AppWriter {
public:
    virtual ~AppWriter() = default;
    // The field's value in the application now. Throws WriteError when the
    // application cannot be read or the item no longer exists.
    virtual boost::json::value read(const Change& change) = 0;
    // Writes `value` into the field. Throws WriteError when the application
    // refuses it; nothing is retried.
    virtual void write(const Change& change, const boost::json::value& value) = 0;
    // The API call that writes it, as shown in a dry run (no key in it).
    virtual std::string describe(const Change& change, const boost::json::value& value) const = 0;
};

// A writer for sabnzbd, sonarr or radarr at cfg.url with cfg.api_key.
// Throws WriteError for a bad URL or an unknown app.
std::unique_ptr<AppWriter> make_writer(const std::string& app, const config::AppConfig& cfg,
                                       std::chrono::milliseconds timeout);

// The call that a change makes, described without a configured app (dry
// runs from a directory): the same text make_writer(...)->describe gives.
std::string describe_call(const Change& change, const boost::json::value& value);

}  // namespace autoarr::fix
