// Sonarr's and Radarr's v3 API: a resource is written whole. The writer
// GETs the resource as it is now, changes one field, and PUTs all of it
// back to /api/v3/<resource>/<id> (a PUT of part of a resource would reset
// the missing booleans and numbers to their defaults). A 400 carries the
// app's validation failures, which become the error text.
#pragma once

#include "connectors/app_api.h"
#include "fix/app_writer.h"

namespace autoarr::fix {

class ArrWriter : public AppWriter {
public:
    ArrWriter(const std::string& app, const config::AppConfig& cfg, std::chrono::milliseconds timeout);
    boost::json::value read(const Change& change) override;
    void write(const Change& change, const boost::json::value& value) override;
    std::string describe(const Change& change, const boost::json::value&) const override { return call_text(change); }
    static std::string call_text(const Change& change);

private:
    boost::json::value get_resource(const Change& change);
    std::string name_;  // Sonarr | Radarr, for messages
    connectors::AppApi api_;
};

// "BackupRetention: 'Backup Retention' must be between 1 and 90; ..." from a
// 400's body: an array of {propertyName, errorMessage}, or {message}.
std::string validation_failures(const std::string& body);

}  // namespace autoarr::fix
