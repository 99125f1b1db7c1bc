#include "fix/app_writer.h"

#include "fix/arr_writer.h"
#include "fix/sabnzbd_writer.h"

namespace autoarr::fix {

std::unique_ptr<AppWriter> make_writer(const std::string& app, const config::AppConfig& cfg,
                                       std::chrono::milliseconds timeout) {
    if (cfg.url.empty()) throw WriteError(app + " is not configured (no URL)");
    if (cfg.api_key.empty()) throw WriteError(app + " has no API key configured");
    if (app == "sabnzbd") return std::make_unique<SabnzbdWriter>(cfg, timeout);
    if (app == "sonarr" || app == "radarr") return std::make_unique<ArrWriter>(app, cfg, timeout);
    throw WriteError("no writer for \"" + app + "\"");
}

std::string describe_call(const Change& change, const boost::json::value& value) {
    return change.app == "sabnzbd" ? SabnzbdWriter::call_text(change, value) : ArrWriter::call_text(change);
}

}  // namespace autoarr::fix
