#include "connectors/live.h"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <future>

#include "http/client.h"
#include "util/secret_scrubber.h"

namespace autoarr::connectors {
namespace json = boost::json;

namespace {

struct Fetched {
    json::object docs;
    AppStatus status;
};

std::string encode(const std::string& s) {
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

// One endpoint: the parsed document, or throws std::runtime_error with a clear reason.
json::value get_document(http::Client& client, const std::string& app, const Endpoint& ep, const std::string& key,
                         http::Deadline deadline) {
    http::Request req;
    req.headers.push_back({"accept", "application/json"});
    if (app == "sabnzbd") {
        req.target = "/api?mode=" + std::string(ep.api_path) + "&output=json&apikey=" + encode(key);
    } else {
        req.target = "/api/v3/" + std::string(ep.api_path);
        req.headers.push_back({"x-api-key", key});
    }
    std::pair<http::ResponseHead, std::string> r;
    try {
        r = client.fetch(req, deadline, nullptr, 32 * 1024 * 1024);
    } catch (const http::HttpError& e) {
        throw std::runtime_error(e.what());  // names the host, never the key
    }
    const int status = r.first.status;
    const std::string& body = r.second;
    if (status == 401 || status == 403) {
        std::string said = body.substr(0, 120);
        for (auto& c : said)
            if (c == '\n' || c == '\r') c = ' ';
        throw std::runtime_error("the API key was refused (HTTP " + std::to_string(status) +
                                 (said.empty() ? "" : ": " + said) + ")");
    }
    if (status != 200) throw std::runtime_error(std::string(ep.api_path) + " answered HTTP " + std::to_string(status));
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) {
        const std::string* type = r.first.find("content-type");
        throw std::runtime_error(std::string(ep.api_path) + " did not answer JSON (" +
                                 (type ? *type : std::string("no content type")) + ")");
    }
    // SABnzbd reports some errors inside a 200: {"status": false, "error": "..."}.
    if (v.is_object() && v.get_object().contains("error") && v.get_object().contains("status") &&
        v.at("status") == json::value(false))
        throw std::runtime_error("SABnzbd said: " + json::serialize(v.at("error")));
    if (auto why = check_shape(app, ep, v); !why.empty()) throw std::runtime_error("unexpected answer: " + why);
    return v;
}

Fetched fetch_app(const std::string& app, const config::AppConfig& cfg, const LiveOptions& o) {
    Fetched f;
    f.status.name = app;
    std::string why;
    auto base = http::parse_base_url(cfg.url, why);
    if (!base) {
        f.status.status = "error";
        f.status.error = "URL: " + why;
        return f;
    }
    if (cfg.api_key.empty()) {
        f.status.status = "error";
        f.status.error = "no API key configured";
        return f;
    }
    http::ClientOptions co;
    co.connect_timeout = std::min<std::chrono::milliseconds>(o.timeout, std::chrono::milliseconds(5000));
    co.user_agent = "autoarr";
    try {
        http::Client client(*base, co);
        const auto deadline = std::chrono::steady_clock::now() + o.timeout;
        for (const auto& ep : endpoints_of(app)) f.docs[ep.name] = get_document(client, app, ep, cfg.api_key, deadline);
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
