#include "connectors/live.h"

#include <boost/json.hpp>
#include <future>

#include "connectors/app_api.h"
#include "util/secret_scrubber.h"

namespace autoarr::connectors {
namespace json = boost::json;

namespace {

struct Fetched {
    json::object docs;
    AppStatus status;
};

// One endpoint: the parsed document, or throws with a clear reason.
json::value get_document(AppApi& api, const std::string& app, const Endpoint& ep) {
    json::value v = app == "sabnzbd" ? api.sabnzbd("mode=" + std::string(ep.api_path)) : api.arr_get(ep.api_path);
    if (auto why = check_shape(app, ep, v); !why.empty()) throw std::runtime_error("unexpected answer: " + why);
    return v;
}

Fetched fetch_app(const std::string& app, const config::AppConfig& cfg, const LiveOptions& o) {
    Fetched f;
    f.status.name = app;
    try {
        AppApi api(app, cfg, o.timeout);
        api.bound_by(std::chrono::steady_clock::now() + o.timeout);
        for (const auto& ep : endpoints_of(app)) f.docs[ep.name] = get_document(api, app, ep);
        f.status.status = "ok";
        f.status.version = app_version(app, f.docs);
    } catch (const std::exception& e) {
        f.docs.clear();
        f.status.status = "error";
        util::SecretScrubber key;  // an application may echo its key in an error page
        key.add(cfg.api_key);
        f.status.error = util::safe_error_text(key.scrub(e.what()));
    }
    return f;
}

}  // namespace

Stack fetch_stack(const std::map<std::string, config::AppConfig>& apps, const LiveOptions& options) {
    std::map<std::string, std::future<Fetched>> running;
    for (const auto& [name, cfg] : apps)
        running[name] =
            std::async(std::launch::async, [name = name, cfg = cfg, options] { return fetch_app(name, cfg, options); });
    Stack stack;
    for (const auto& app : app_names()) {
        auto it = running.find(app);
        if (it == running.end()) {
            stack.apps.push_back({app, "not configured", "", ""});
            continue;
        }
        Fetched f = it->second.get();
        if (f.status.status == "ok") stack.documents[app] = std::move(f.docs);
        stack.apps.push_back(std::move(f.status));
    }
    return stack;
}

}  // namespace autoarr::connectors
