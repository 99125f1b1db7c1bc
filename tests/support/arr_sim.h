// A Sonarr or Radarr v3 API on loopback that behaves like the real one where
// fixes meet it. Learned from Sonarr's source (Sonarr.Api.V3/Config/*Controller.cs,
// Sonarr.Http/REST, NzbDrone.Core/Configuration/ConfigService.cs,
// Sonarr.Api.V3/ProviderControllerBase.cs):
//
// - X-Api-Key is required: a wrong or missing key is 401;
// - GET /api/v3/config/<kind> (and .../<kind>/<id>), GET /api/v3/downloadclient,
//   .../downloadclient/<id>, /remotepathmapping[/<id>];
// - PUT /api/v3/<resource>/<id> takes the WHOLE resource: the config
//   controllers save every property of the body (ConfigService.SaveConfigDictionary),
//   so a property missing from the body is saved as its type's default: false
//   for booleans, 0 for numbers (a missing text, null, is skipped). A
//   provider's missing schema field loses its value. A masked secret
//   ("********") keeps the stored one;
// - the body's id must match the path's; a PUT to an unknown id is 404;
// - validation as the controllers declare it (ranges, allowed values,
//   required fields), answered 400 with FluentValidation's array of
//   {propertyName, errorMessage, attemptedValue, severity, errorCode};
// - a download client PUT without ?forceSave=true tests the client first
//   (ProviderControllerBase.Test): an enabled client whose test fails is 400.
// - a successful PUT is 202 Accepted with the resource as now stored.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "support/fixture_server.h"

namespace autoarr::test {

class ArrSim {
public:
    // app: sonarr | radarr; dir holds <endpoint>.json as the fixtures do
    // (config_host.json, downloadclient.json, ...).
    ArrSim(std::string app, const std::string& dir, std::string api_key);
    ~ArrSim();

    std::string url() const { return server_.url(); }

    // The stored resource (a copy): "config/host", "downloadclient/1", "downloadclient".
    boost::json::value resource(const std::string& path) const;
    // Changes a field behind AutoArr's back (as a user in the web UI would).
    void set(const std::string& path, const std::string& key, const boost::json::value& v);
    std::size_t puts() const;
    // PUT number n (from 1) is stored, then its answer waits `d` (a slow app, a kill mid-apply).
    void delay_put(std::size_t n, std::chrono::milliseconds d);
    // The download-client test: "" passes, else the failure's message.
    void set_client_test(std::function<std::string(const boost::json::object&)> test);

private:
    FixtureResponse handle(const ReceivedRequest& r);
    FixtureResponse put(const std::string& path, const std::string& body, bool force_save);

    std::string app_;
    std::string key_;
    mutable std::mutex state_mutex_;                       // guards resources_, puts_, delays_, client_test_
    std::map<std::string, boost::json::value> resources_;  // "config/host" -> object; "downloadclient/1" -> object
    std::size_t puts_ = 0;
    std::map<std::size_t, std::chrono::milliseconds> delays_;
    std::function<std::string(const boost::json::object&)> client_test_;
    FixtureServer server_;  // last: it stops before the state it serves goes
};

}  // namespace autoarr::test
