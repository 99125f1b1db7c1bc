#include "audit/redact.h"

#include <algorithm>
#include <regex>
#include <string>

namespace autoarr::audit {
namespace json = boost::json;

namespace {

bool secret_key(std::string key) {
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    static const std::regex re("(api_?key|nzb_key|password|passwd|pwd|secret|token|passwordconfirmation)$");
    return std::regex_search(key, re);
}

int scrub(json::value& v) {
    if (!v.is_string() || v.get_string().empty() || v.get_string() == kRedacted) return 0;
    v = kRedacted;
    return 1;
}

int walk(json::value& v, bool in_server) {
    int n = 0;
    if (v.is_array()) {
        for (auto& e : v.get_array()) n += walk(e, in_server);
        return n;
    }
    if (!v.is_object()) return 0;
    auto& o = v.get_object();
    // *arr provider settings: {"name": "apiKey", "value": ..., "privacy": "apiKey"}
    if (o.contains("name") && o.contains("value") && o.at("name").is_string()) {
        std::string privacy =
            o.contains("privacy") && o.at("privacy").is_string() ? std::string(o.at("privacy").as_string()) : "";
        if (privacy == "apiKey" || privacy == "password" || privacy == "userName" ||
            secret_key(std::string(o.at("name").as_string())))
            n += scrub(o.at("value"));
    }
    for (auto& kv : o) {
        const std::string key(kv.key());
        if (secret_key(key) || (in_server && key == "username")) {
            n += scrub(kv.value());
            continue;
        }
        n += walk(kv.value(), in_server || key == "servers");
    }
    return n;
}

}  // namespace

int redact(json::value& documents) {
    return walk(documents, false);
}

}  // namespace autoarr::audit
