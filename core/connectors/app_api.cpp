#include "connectors/app_api.h"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "http/client.h"
#include "util/secret_scrubber.h"

namespace autoarr::connectors {
namespace json = boost::json;

AppApi::AppApi(std::string app, const config::AppConfig& cfg, std::chrono::milliseconds timeout)
    : app_(std::move(app)), key_(cfg.api_key), timeout_(timeout) {
    std::string why;
    auto base = http::parse_base_url(cfg.url, why);
    if (!base) throw AppApiError("URL: " + why);
    if (key_.empty()) throw AppApiError("no API key configured");
    http::ClientOptions co;
    co.connect_timeout = std::min<std::chrono::milliseconds>(timeout, std::chrono::milliseconds(5000));
    co.user_agent = "autoarr";
    client_ = std::make_unique<http::Client>(*base, co);
}

AppApi::~AppApi() = default;

std::string AppApi::encode(const std::string& s) {
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

AppResponse AppApi::send(const std::string& method, const std::string& target, const std::string& body) {
    http::Request req;
    req.method = method;
    req.target = target;
    req.headers.push_back({"accept", "application/json"});
    if (app_ != "sabnzbd") req.headers.push_back({"x-api-key", key_});
    if (!body.empty()) {
        req.headers.push_back({"content-type", "application/json"});
        req.body = body;
    }
    std::pair<http::ResponseHead, std::string> r;
    try {
        r = client_->fetch(req, std::min(std::chrono::steady_clock::now() + timeout_, bound_), nullptr,
                           32 * 1024 * 1024);
    } catch (const std::exception& e) {
        util::SecretScrubber key;  // the target of a SABnzbd call holds the key
        key.add(key_);
        throw AppApiError(util::safe_error_text(key.scrub(e.what())));
    }
    const std::string* type = r.first.find("content-type");
    AppResponse out{r.first.status, type ? *type : std::string(), std::move(r.second)};
    if (out.status == 401 || out.status == 403) {
        util::SecretScrubber key;  // an application may echo its key in an error page
        key.add(key_);
        std::string said = key.scrub(out.body.substr(0, 120));
        for (auto& c : said)
            if (c == '\n' || c == '\r') c = ' ';
        throw AppApiError(util::safe_error_text("the API key was refused (HTTP " + std::to_string(out.status) +
                                                (said.empty() ? "" : ": " + said) + ")"),
                          out.status);
    }
    if (out.status == 0) throw AppApiError("no HTTP status in the answer");
    return out;
}

json::value parse_answer(const AppResponse& r, const std::string& what) {
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec)
        throw AppApiError(
            what + " did not answer JSON (" + (r.content_type.empty() ? "no content type" : r.content_type) + ")",
            r.status);
    return v;
}

json::value AppApi::sabnzbd(const std::string& query) {
    auto r = send("GET", "/api?" + query + "&output=json&apikey=" + encode(key_), {});
    const std::string mode = query.substr(0, query.find('&'));
    if (r.status != 200) throw AppApiError(mode + " answered HTTP " + std::to_string(r.status), r.status);
    json::value v = parse_answer(r, mode);
    // SABnzbd reports errors inside a 200: {"status": false, "error": "..."}.
    if (v.is_object() && v.get_object().contains("error") && v.get_object().contains("status") &&
        v.at("status") == json::value(false)) {
        util::SecretScrubber key;
        key.add(key_);
        throw AppApiError(util::safe_error_text(key.scrub("SABnzbd said: " + json::serialize(v.at("error")))), 200);
    }
    return v;
}

AppResponse AppApi::arr(const std::string& method, const std::string& path, const std::string& body) {
    return send(method, "/api/v3/" + path, body);
}

json::value AppApi::arr_get(const std::string& path) {
    auto r = arr("GET", path);
    if (r.status != 200) throw AppApiError(path + " answered HTTP " + std::to_string(r.status), r.status);
    return parse_answer(r, path);
}

}  // namespace autoarr::connectors
