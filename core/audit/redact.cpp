#include "audit/redact.h"

#include <algorithm>
#include <regex>
#include <string>

#include "util/secret_scrubber.h"

namespace autoarr::audit {
namespace json = boost::json;

namespace {

bool secret_key(std::string key) {
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    static const std::regex re("(api_?key|nzb_key|password|passwd|pwd|secret|token|passwordconfirmation)$");
    return std::regex_search(key, re);
}

// Every string and number inside v, as text: the values a copy could repeat.
void collect(const json::value& v, util::SecretScrubber& found) {
    if (v.is_string())
        found.add(v.get_string());
    else if (v.is_number())
        found.add(json::serialize(v));
    else if (v.is_array())
        for (const auto& e : v.get_array()) collect(e, found);
    else if (v.is_object())
        for (const auto& kv : v.get_object()) collect(kv.value(), found);
}

// A secret-named value goes whatever its type. What stays: an empty value
// (no password set), and null or a boolean, which say whether, never what.
int scrub(json::value& v, util::SecretScrubber& found) {
    if (v.is_null() || v.is_bool()) return 0;
    if (v.is_string() && (v.get_string().empty() || v.get_string() == kRedacted)) return 0;
    if ((v.is_array() && v.get_array().empty()) || (v.is_object() && v.get_object().empty())) return 0;
    collect(v, found);
    v = kRedacted;
    return 1;
}

int by_name(json::value& v, bool in_server, util::SecretScrubber& found) {
    int n = 0;
    if (v.is_array()) {
        for (auto& e : v.get_array()) n += by_name(e, in_server, found);
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
            n += scrub(o.at("value"), found);
    }
    for (auto& kv : o) {
        const std::string key(kv.key());
        if (secret_key(key) || (in_server && key == "username")) {
            n += scrub(kv.value(), found);
            continue;
        }
        n += by_name(kv.value(), in_server || key == "servers", found);
    }
    return n;
}

// Replaces every known secret in every string; a number that is a secret goes whole.
int copies(json::value& v, const util::SecretScrubber& known) {
    int n = 0;
    if (v.is_string()) {
        std::string text(v.get_string());
        if (text != kRedacted && known.scrub_in_place(text) > 0) {
            v = text;
            n = 1;
        }
    } else if (v.is_number()) {
        if (known.scrub(json::serialize(v)) == kRedacted) {
            v = kRedacted;
            n = 1;
        }
    } else if (v.is_array()) {
        for (auto& e : v.get_array()) n += copies(e, known);
    } else if (v.is_object()) {
        for (auto& kv : v.get_object()) n += copies(kv.value(), known);
    }
    return n;
}

}  // namespace

Redactor::Redactor() {
    known_.add_all(util::process_secrets());
}

int Redactor::redact(json::value& v) {
    const int named = by_name(v, false, known_);
    return named + copies(v, known_);
}

int redact(json::value& documents) {
    return Redactor().redact(documents);
}

}  // namespace autoarr::audit
