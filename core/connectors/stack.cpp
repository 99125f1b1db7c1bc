#include "connectors/stack.h"

#include <fstream>
#include <stdexcept>

namespace autoarr::connectors {
namespace json = boost::json;
namespace fs = std::filesystem;

const std::vector<std::string>& app_names() {
    static const std::vector<std::string> names = {"sabnzbd", "sonarr", "radarr"};
    return names;
}

const std::vector<Endpoint>& endpoints_of(std::string_view app) {
    static const std::vector<Endpoint> sab = {{"get_config", "get_config", false}, {"version", "version", false}};
    static const std::vector<Endpoint> arr = {
        {"config_host", "config/host", false},
        {"config_mediamanagement", "config/mediamanagement", false},
        {"config_naming", "config/naming", false},
        {"config_downloadclient", "config/downloadclient", false},
        {"downloadclient", "downloadclient", true},
        {"rootfolder", "rootfolder", true},
        {"remotepathmapping", "remotepathmapping", true},
        {"qualityprofile", "qualityprofile", true},
        {"system_status", "system/status", false},
    };
    static const std::vector<Endpoint> none;
    if (app == "sabnzbd") return sab;
    if (app == "sonarr" || app == "radarr") return arr;
    return none;
}

std::string check_shape(std::string_view app, const Endpoint& ep, const json::value& doc) {
    if (ep.is_array && !doc.is_array()) return std::string(ep.name) + " must be a JSON array";
    if (!ep.is_array && !doc.is_object()) return std::string(ep.name) + " must be a JSON object";
    if (app == "sabnzbd" && std::string_view(ep.name) == "get_config") {
        const auto* c = doc.get_object().if_contains("config");
        if (!c || !c->is_object()) return "get_config has no \"config\" object";
        const auto* misc = c->get_object().if_contains("misc");
        if (!misc || !misc->is_object()) return "get_config has no \"config.misc\" object";
    }
    if (app == "sabnzbd" && std::string_view(ep.name) == "version" && !doc.get_object().contains("version"))
        return "version has no \"version\" field";
    return {};
}

std::string app_version(std::string_view app, const json::object& docs) {
    const char* doc = app == "sabnzbd" ? "version" : "system_status";
    const auto* d = docs.if_contains(doc);
    if (!d || !d->is_object()) return {};
    const auto* v = d->get_object().if_contains("version");
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

Stack read_stack_dir(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw std::runtime_error("stack directory " + dir.string() + " does not exist");
    Stack stack;
    for (const auto& app : app_names()) {
        AppStatus st{app, "not configured", "", ""};
        const fs::path app_dir = dir / app;
        if (!fs::is_directory(app_dir, ec)) {
            stack.apps.push_back(st);
            continue;
        }
        json::object docs;
        std::string missing, error;
        for (const auto& ep : endpoints_of(app)) {
            const fs::path file = app_dir / (std::string(ep.name) + ".json");
            std::ifstream in(file, std::ios::binary);
            if (!in) {
                missing += (missing.empty() ? "" : ", ") + std::string(ep.name);
                continue;
            }
            std::string text((std::istreambuf_iterator<char>(in)), {});
            json::error_code jec;
            json::value v = json::parse(text, jec);
            if (jec) {
                error = file.string() + " is not valid JSON: " + jec.message();
                break;
            }
            if (auto why = check_shape(app, ep, v); !why.empty()) {
                error = file.string() + ": " + why;
                break;
            }
            docs[ep.name] = std::move(v);
        }
        if (!error.empty()) {
            st.status = "error";
            st.error = error;
        } else if (docs.empty()) {
            st.status = "error";
            st.error = "no endpoint documents in " + app_dir.string();
        } else {
            st.status = missing.empty() ? "ok" : "partial";
            if (!missing.empty()) st.error = "missing: " + missing;
            st.version = app_version(app, docs);
            stack.documents[app] = std::move(docs);
        }
        stack.apps.push_back(st);
    }
    return stack;
}

void save_stack_dir(const Stack& stack, const fs::path& dir) {
    for (const auto& [app, docs] : stack.documents) {
        fs::create_directories(dir / std::string(app));
        for (const auto& [ep, doc] : docs.as_object()) {
            const fs::path file = dir / std::string(app) / (std::string(ep) + ".json");
            const fs::path tmp = file.string() + ".tmp";
            {
                std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
                out << json::serialize(doc);
                if (!out) throw std::runtime_error("cannot write " + tmp.string());
            }
            fs::rename(tmp, file);  // never a half-written snapshot file
        }
    }
}

}  // namespace autoarr::connectors
