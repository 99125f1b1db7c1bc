#include "support/arr_sim.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

namespace autoarr::test {
namespace json = boost::json;

namespace {

constexpr const char* kMasked = "********";

FixtureResponse reply(int status, std::string body = {}) {
    FixtureResponse r;
    r.status = status;
    if (!body.empty()) r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    r.body = std::move(body);
    return r;
}

// FluentValidation's failure, as Sonarr's API serialises it.
json::object failure(const std::string& property, const std::string& message, const json::value& attempted,
                     const std::string& code) {
    return {{"propertyName", property},
            {"errorMessage", message},
            {"attemptedValue", attempted},
            {"severity", "error"},
            {"errorCode", code}};
}

std::string pascal(const std::string& camel) {
    std::string s = camel;
    if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
}

const json::value* member(const json::object& o, const char* key) {
    return o.if_contains(key);
}

std::string text(const json::object& o, const char* key) {
    const auto* v = member(o, key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<int64_t> integer(const json::object& o, const char* key) {
    const auto* v = member(o, key);
    if (!v || !v->is_number()) return std::nullopt;
    return v->to_number<int64_t>();
}

bool flag(const json::object& o, const char* key) {
    const auto* v = member(o, key);
    return v && v->is_bool() && v->get_bool();
}

std::optional<json::value> field_value(const json::object& o, const std::string& name) {
    const auto* fields = member(o, "fields");
    if (!fields || !fields->is_array()) return std::nullopt;
    for (const auto& f : fields->get_array())
        if (f.is_object() && text(f.get_object(), "name") == name) {
            const auto* v = member(f.get_object(), "value");
            return v ? *v : json::value(nullptr);
        }
    return std::nullopt;
}

struct Validator {
    json::array failures;
    void between(const json::object& o, const char* key, int64_t lo, int64_t hi) {
        auto v = integer(o, key);
        if (!v || *v < lo || *v > hi)
            failures.push_back(
                failure(pascal(key),
                        "'" + pascal(key) + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                            ". You entered " + (v ? std::to_string(*v) : std::string("nothing")) + ".",
                        member(o, key) ? *member(o, key) : json::value(nullptr), "InclusiveBetweenValidator"));
    }
    void at_least(const json::object& o, const char* key, int64_t lo) {
        auto v = integer(o, key);
        if (!v || *v < lo)
            failures.push_back(failure(
                pascal(key), "'" + pascal(key) + "' must be greater than or equal to '" + std::to_string(lo) + "'.",
                member(o, key) ? *member(o, key) : json::value(nullptr), "GreaterThanOrEqualValidator"));
    }
    void one_of(const json::object& o, const char* key, std::set<std::string> allowed) {
        const std::string v = text(o, key);
        if (!allowed.count(v))
            failures.push_back(
                failure(pascal(key), "'" + pascal(key) + "' has a range of values which does not include '" + v + "'.",
                        member(o, key) ? *member(o, key) : json::value(nullptr), "EnumValidator"));
    }
    void not_empty(const json::object& o, const char* key) {
        const auto* v = member(o, key);
        if (!v || (v->is_string() && v->get_string().empty()) || v->is_null())
            failures.push_back(failure(pascal(key), "'" + pascal(key) + "' must not be empty.",
                                       v ? *v : json::value(nullptr), "NotEmptyValidator"));
    }
    void custom(const std::string& property, bool ok, const std::string& message, const json::value& attempted) {
        if (!ok) failures.push_back(failure(property, message, attempted, "PredicateValidator"));
    }
};

// The validators each controller declares (only the ones fixes can meet).
json::array validate(const std::string& app, const std::string& resource, const json::object& o) {
    Validator v;
    if (resource == "config/host") {
        v.between(o, "port", 1, 65535);
        v.between(o, "backupRetention", 1, 90);
        v.between(o, "backupInterval", 1, 7);
        v.not_empty(o, "branch");
        v.one_of(o, "authenticationMethod", {"none", "basic", "forms", "external"});
        v.one_of(o, "authenticationRequired", {"enabled", "disabledForLocalAddresses"});
        v.one_of(o, "certificateValidation", {"enabled", "disabledForLocalAddresses", "disabled"});
        v.one_of(o, "logLevel", {"info", "debug", "trace"});
        const std::string method = text(o, "authenticationMethod");
        if (method == "basic" || method == "forms") {
            v.not_empty(o, "username");
            v.not_empty(o, "password");
        }
        if (flag(o, "proxyEnabled")) v.not_empty(o, "proxyHostname");
    } else if (resource == "config/mediamanagement") {
        v.at_least(o, "recycleBinCleanupDays", 0);
        v.at_least(o, "minimumFreeSpaceWhenImporting", 100);
        v.one_of(o, "rescanAfterRefresh", {"always", "afterManual", "never"});
        v.one_of(o, "downloadPropersAndRepacks", {"preferAndUpgrade", "doNotUpgrade", "doNotPrefer"});
        if (flag(o, "setPermissionsLinux")) {
            const std::string chmod = text(o, "chmodFolder");
            v.custom("ChmodFolder", !chmod.empty() && chmod.find_first_not_of("01234567") == std::string::npos,
                     "Must contain a valid Unix permissions octal", json::value(chmod));
        }
    } else if (resource == "config/naming") {
        if (app == "sonarr") {
            v.between(o, "multiEpisodeStyle", 0, 5);
            v.custom("SeasonFolderFormat", text(o, "seasonFolderFormat").find("{season") != std::string::npos,
                     "Must contain season number", json::value(text(o, "seasonFolderFormat")));
            if (flag(o, "renameEpisodes")) {
                const std::string f = text(o, "standardEpisodeFormat");
                v.custom("StandardEpisodeFormat",
                         f.find("{season") != std::string::npos && f.find("{episode") != std::string::npos,
                         "Must contain season and episode numbers OR Original Title", json::value(f));
            }
        } else if (flag(o, "renameMovies")) {
            const std::string f = text(o, "standardMovieFormat");
            v.custom("StandardMovieFormat",
                     f.find("{Movie") != std::string::npos || f.find("{Original") != std::string::npos,
                     "Must contain Movie Title", json::value(f));
        }
    } else if (resource == "config/downloadclient") {
        if (member(o, "checkForFinishedDownloadInterval")) v.at_least(o, "checkForFinishedDownloadInterval", 1);
    } else if (resource == "downloadclient") {
        v.not_empty(o, "name");
        auto host = field_value(o, "host");
        v.custom("Host", host && host->is_string() && !host->get_string().empty(), "'Host' must not be empty.",
                 host ? *host : json::value(nullptr));
        auto port = field_value(o, "port");
        const int64_t p = port && port->is_number() ? port->to_number<int64_t>() : 0;
        v.custom("Port", p >= 1 && p <= 65535,
                 "'Port' must be between 1 and 65535. You entered " + std::to_string(p) + ".",
                 port ? *port : json::value(nullptr));
    } else if (resource == "remotepathmapping") {
        v.not_empty(o, "host");
        v.not_empty(o, "remotePath");
        v.custom("LocalPath", text(o, "localPath").rfind('/', 0) == 0, "Invalid Path",
                 json::value(text(o, "localPath")));
    }
    return v.failures;
}

// A body merged over the stored resource the way the apps save it.
json::object merge_whole(const json::object& stored, const json::object& body, bool provider) {
    json::object out = stored;
    for (auto& kv : out) {
        if (kv.key() == "id") continue;
        const json::value* sent = body.if_contains(kv.key());
        if (provider && kv.key() == "fields") {
            // Each schema field takes the body's value; a missing one loses it; a mask keeps it.
            const json::value* sent_fields = sent;
            for (auto& f : kv.value().as_array()) {
                auto& fo = f.as_object();
                const std::string name = text(fo, "name");
                std::optional<json::value> given;
                if (sent_fields && sent_fields->is_array())
                    for (const auto& g : sent_fields->get_array())
                        if (g.is_object() && text(g.get_object(), "name") == name)
                            given = member(g.get_object(), "value") ? *member(g.get_object(), "value")
                                                                    : json::value(nullptr);
                if (given && given->is_string() && given->get_string() == kMasked) continue;
                if (given && !given->is_null())
                    fo["value"] = *given;
                else
                    fo.erase("value");
            }
            continue;
        }
        if (sent) {
            kv.value() = *sent;
        } else if (kv.value().is_bool()) {
            kv.value() = false;
        } else if (kv.value().is_number()) {
            kv.value() = 0;
        }  // text: null in the resource, skipped by SaveConfigDictionary
    }
    return out;
}

json::value read_json(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), {});
    return json::parse(s);
}

// A provider's secrets, as GET shows them.
json::value masked(json::value v) {
    if (!v.is_object()) return v;
    if (auto* fields = v.as_object().if_contains("fields"); fields && fields->is_array())
        for (auto& f : fields->as_array()) {
            auto& fo = f.as_object();
            const std::string privacy = text(fo, "privacy");
            if ((privacy == "password" || privacy == "apiKey") && fo.contains("value")) fo["value"] = kMasked;
        }
    return v;
}

}  // namespace

ArrSim::ArrSim(std::string app, const std::string& dir, std::string api_key)
    : app_(std::move(app)), key_(std::move(api_key)) {
    namespace fs = std::filesystem;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".json") continue;
        std::string name = e.path().stem().string();
        json::value doc = read_json(e.path());
        if (name.rfind("config_", 0) == 0) {
            resources_["config/" + name.substr(7)] = doc;
        } else if (doc.is_array() && (name == "downloadclient" || name == "remotepathmapping")) {
            for (const auto& item : doc.get_array())
                if (item.is_object() && item.get_object().contains("id"))
                    resources_[name + "/" + std::to_string(item.at("id").to_number<int64_t>())] = item;
            resources_[name] = json::array();  // the list is built from the items
        } else {
            resources_[name] = doc;  // read-only documents (rootfolder, system/status, ...)
        }
    }
    auto route = [this](const std::string& path) {
        for (const char* m : {"GET", "PUT"})
            server_.on(m, "/api/v3/" + path, [this](const ReceivedRequest& r) { return handle(r); });
    };
    for (const auto& [path, doc] : resources_) {
        route(path);
        if (path.rfind("config/", 0) == 0 && doc.is_object() && doc.get_object().contains("id"))
            route(path + "/" + std::to_string(doc.at("id").to_number<int64_t>()));
    }
    route("system/status");
}

ArrSim::~ArrSim() = default;

json::value ArrSim::resource(const std::string& path) const {
    std::lock_guard lock(state_mutex_);
    auto it = resources_.find(path);
    return it == resources_.end() ? json::value(nullptr) : it->second;
}

void ArrSim::set(const std::string& path, const std::string& key, const json::value& v) {
    std::lock_guard lock(state_mutex_);
    resources_.at(path).as_object()[key] = v;
}

std::size_t ArrSim::puts() const {
    std::lock_guard lock(state_mutex_);
    return puts_;
}

void ArrSim::delay_put(std::size_t n, std::chrono::milliseconds d) {
    std::lock_guard lock(state_mutex_);
    delays_[n] = d;
}

void ArrSim::set_client_test(std::function<std::string(const boost::json::object&)> test) {
    std::lock_guard lock(state_mutex_);
    client_test_ = std::move(test);
}

FixtureResponse ArrSim::handle(const ReceivedRequest& r) {
    auto key = r.headers.find("x-api-key");
    if (key == r.headers.end() || key->second != key_) return reply(401);
    std::string path = r.target.substr(8);  // after "/api/v3/"
    bool force_save = false;
    if (auto q = path.find('?'); q != std::string::npos) {
        force_save = path.find("forceSave=true", q) != std::string::npos;
        path.resize(q);
    }
    if (r.method == "PUT") return put(path, r.body, force_save);
    std::lock_guard lock(state_mutex_);
    // config/<kind>/<id> reads the same resource as config/<kind>.
    std::string key_path = path;
    if (path.rfind("config/", 0) == 0 && std::count(path.begin(), path.end(), '/') == 2)
        key_path = path.substr(0, path.rfind('/'));
    json::value out;
    if (key_path == "downloadclient" || key_path == "remotepathmapping") {
        json::array list;
        for (const auto& [p, doc] : resources_)
            if (p.rfind(key_path + "/", 0) == 0) list.push_back(key_path == "downloadclient" ? masked(doc) : doc);
        out = std::move(list);
    } else if (key_path == "system/status") {
        out = resources_.count("system_status") ? resources_["system_status"] : json::object{{"version", "4.0.0"}};
    } else {
        auto it = resources_.find(key_path);
        if (it == resources_.end()) return reply(404);
        out = key_path.rfind("downloadclient/", 0) == 0 ? masked(it->second) : it->second;
    }
    return reply(200, json::serialize(out));
}

FixtureResponse ArrSim::put(const std::string& path, const std::string& body, bool force_save) {
    json::error_code ec;
    json::value sent = json::parse(body, ec);
    if (ec || !sent.is_object()) {
        return reply(400, json::serialize(json::object{{"message", "Unable to parse the request body"}}));
    }
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) return reply(405);  // PUT needs an id
    const std::string resource = path.substr(0, slash), id = path.substr(slash + 1);
    const bool config = resource.rfind("config/", 0) == 0;
    const std::string key_path = config ? resource : path;
    std::chrono::milliseconds delay{0};
    json::object stored_now;
    {
        std::lock_guard lock(state_mutex_);
        auto it = resources_.find(key_path);
        if (it == resources_.end()) return reply(404);
        const json::value* body_id = sent.get_object().if_contains("id");
        if (!body_id || !body_id->is_number() || std::to_string(body_id->to_number<int64_t>()) != id) {
            return reply(400, json::serialize(
                                  json::array{failure("Id", "'Id' must match the id in the path.",
                                                      body_id ? *body_id : json::value(nullptr), "EqualValidator")}));
        }
        json::object merged = merge_whole(it->second.get_object(), sent.get_object(), !config);
        json::array failures = validate(app_, resource, merged);
        if (failures.empty() && resource == "downloadclient" && !force_save && flag(merged, "enable") && client_test_)
            if (std::string why = client_test_(merged); !why.empty())
                failures.push_back(failure("", why, nullptr, "ConnectionFailure"));
        if (!failures.empty()) {
            return reply(400, json::serialize(failures));
        }
        it->second = merged;
        ++puts_;
        if (auto d = delays_.find(puts_); d != delays_.end()) delay = d->second;
        stored_now = merged;
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    return reply(202, json::serialize(config ? json::value(stored_now) : masked(stored_now)));
}

}  // namespace autoarr::test
