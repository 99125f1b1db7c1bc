// One application's HTTP API (SABnzbd, Sonarr or Radarr), with its key sent
// the way that application expects: SABnzbd as the `apikey` query parameter,
// Sonarr and Radarr in the X-Api-Key header. Shared by the live connector
// (reads) and the fix writers (reads and writes). No error text it produces
// carries the key.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "config/config.h"

namespace autoarr::http {
class Client;
}

namespace autoarr::connectors {

// A failure to talk to the application (transport, key refused, an answer
// that is not JSON). The message names the app's host or the path, never the key.
class AppApiError : public std::runtime_error {
public:
    AppApiError(const std::string& what, int status = 0) : std::runtime_error(what), status_(status) {}
    int status() const { return status_; }  // the HTTP status, 0 when none came

private:
    int status_;
};

struct AppResponse {
    int status = 0;
    std::string content_type;  // "" when none was sent
    std::string body;
};

class AppApi {
public:
    // Throws AppApiError for a bad URL or a missing key.
    AppApi(std::string app, const config::AppConfig& cfg, std::chrono::milliseconds timeout);
    ~AppApi();
    AppApi(const AppApi&) = delete;
    AppApi& operator=(const AppApi&) = delete;

    const std::string& app() const { return app_; }
    // Every later call ends by this time too (one deadline for a whole fetch).
    void bound_by(std::chrono::steady_clock::time_point deadline) { bound_ = deadline; }

    // SABnzbd: GET /api?<query>&output=json&apikey=KEY, answered JSON. A
    // `{"status": false, "error": ..}` answer (SABnzbd's errors come in a
    // 200) throws, naming the error.
    boost::json::value sabnzbd(const std::string& query);

    // Sonarr/Radarr: METHOD /api/v3/<path>; the raw answer for the caller
    // to map (a PUT's 400 carries validation failures). Transport failures
    // and a refused key (401/403) throw.
    AppResponse arr(const std::string& method, const std::string& path, const std::string& body = {});
    // GET /api/v3/<path>, which must answer 200 with JSON.
    boost::json::value arr_get(const std::string& path);

    // Percent-encodes a query value.
    static std::string encode(const std::string& s);

private:
    AppResponse send(const std::string& method, const std::string& target, const std::string& body);

    std::string app_;
    std::string key_;
    std::chrono::milliseconds timeout_;
    std::chrono::steady_clock::time_point bound_ = std::chrono::steady_clock::time_point::max();
    std::unique_ptr<http::Client> client_;
};

// The JSON of an answer body, or AppApiError naming `what` and the content.
boost::json::value parse_answer(const AppResponse& r, const std::string& what);

}  // namespace autoarr::connectors
