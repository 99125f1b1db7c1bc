#include "config/config.h"

#include <algorithm>
#include <autoarr/setting_variable.hpp>
#include <cctype>
#include <fstream>

extern char** environ;

#include "util/strings.h"

namespace autoarr::config {
namespace json = boost::json;
namespace {

using util::lower;
using util::trim;
std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (true) {
        auto comma = text.find(',');
        std::string item = trim(text.substr(0, comma));
        if (!item.empty()) out.push_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

// Environment values may carry stray spaces ("OLLAMA_TIMEOUT= 30").
std::optional<double> parse_positive(std::string_view text) {
    auto v = util::parse_number(trim(text));
    if (!v || !(*v > 0)) return std::nullopt;
    return v;
}

std::optional<int64_t> parse_int(std::string_view text, int64_t min) {
    auto v = util::parse_int(trim(text));
    if (!v || *v < min) return std::nullopt;
    return v;
}

const std::string* env_get(const Environment& env, const char* name) {
    auto it = env.find(name);
    return it == env.end() ? nullptr : &it->second;
}

// A variable's value without surrounding whitespace; nullopt when unset or blank.
std::optional<std::string> trimmed_value(const Environment& env, const char* name) {
    const auto* v = env_get(env, name);
    if (!v || trim(*v).empty()) return std::nullopt;
    return trim(*v);
}

// A setting's name without case or separators: "Api-Key" and "api_key" are "apikey".
std::string squashed(std::string_view name) {
    std::string out;
    for (unsigned char c : name)
        if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
    return out;
}

// Names whose value is a credential, at any depth, however they are spelt:
// api_key, Api-Key, access_token, client_secret, auth.password...
bool secret_setting(std::string_view name) {
    const std::string s = squashed(name);
    for (std::string_view end : {"apikey", "accesskey", "privatekey", "secretkey", "token", "password", "passwd",
                                 "passphrase", "secret", "secrets", "credential", "credentials"})
        if (s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0) return true;
    return false;
}

// The secret's name for get_secret: lower case with "_" for separators, the
// path for a nested one ("auth.password"); every spelling of an API key is "api_key".
std::string secret_name(const std::string& path, std::string_view key) {
    std::string name;
    for (unsigned char c : key) name += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
    if (squashed(key) == "apikey") name = "api_key";
    return path.empty() ? name : path + "." + name;
}

// Moves every secret-looking value, at any depth, out of the settings into
// secrets, so none reaches a plugin as config text (ABI-16).
void split_secrets(json::value& v, const std::string& path, std::map<std::string, std::string>& secrets) {
    if (v.is_array()) {
        auto& a = v.get_array();
        for (std::size_t i = 0; i < a.size(); ++i)
            split_secrets(a[i], path + (path.empty() ? "" : ".") + std::to_string(i), secrets);
        return;
    }
    if (!v.is_object()) return;
    auto& o = v.get_object();
    std::vector<std::string> found;
    for (auto& kv : o) {
        if (secret_setting(kv.key()))
            found.emplace_back(kv.key());
        else
            split_secrets(kv.value(), path + (path.empty() ? "" : ".") + std::string(kv.key()), secrets);
    }
    for (const auto& key : found) {
        const json::value& value = o.at(key);
        if (!value.is_null())
            secrets[secret_name(path, key)] =
                value.is_string() ? std::string(value.get_string()) : json::serialize(value);
        o.erase(key);
    }
}

void split_secrets(json::object& settings, std::map<std::string, std::string>& secrets) {
    if (auto* s = settings.if_contains("secrets"); s && s->is_object()) {
        for (const auto& kv : s->get_object())
            if (kv.value().is_string()) secrets[std::string(kv.key())] = std::string(kv.value().get_string());
        settings.erase("secrets");
    }
    json::value root(std::move(settings));
    split_secrets(root, "", secrets);
    settings = std::move(root.get_object());
}

// `named_by`: the variable that named the file, so an error about it says where the name came from.
void read_file(const std::filesystem::path& path, Config& c, const char* named_by = nullptr) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        c.errors.push_back("cannot read config file " + path.string() +
                           (named_by ? std::string(" (named by ") + named_by + ")" : std::string()));
        return;
    }
    std::string text((std::istreambuf_iterator<char>(in)), {});
    json::parse_options opts;
    opts.allow_comments = true;
    opts.allow_trailing_commas = true;
    json::error_code ec;
    json::value root = json::parse(text, ec, {}, opts);
    if (ec) {
        c.errors.push_back("config file " + path.string() + " is not valid JSON: " + ec.message());
        return;
    }
    if (!root.is_object()) {
        c.errors.push_back("config file " + path.string() + " must hold a JSON object");
        return;
    }
    c.file = path;
    const json::object& o = root.get_object();
    if (auto* r = o.if_contains("routing")) {
        if (!r->is_object()) {
            c.errors.push_back(path.string() + ": \"routing\" must be an object");
        } else {
            const auto& ro = r->get_object();
            if (auto* p = ro.if_contains("provider")) {
                if (p->is_string()) {
                    c.provider = std::string(p->get_string());
                    c.provider_explicit = true;
                } else
                    c.errors.push_back(path.string() + ": routing.provider must be a string");
            }
            if (auto* f = ro.if_contains("fallback_order")) {
                c.fallback_order.clear();
                if (f->is_array()) {
                    for (const auto& v : f->get_array())
                        if (v.is_string())
                            c.fallback_order.emplace_back(v.get_string());
                        else
                            c.errors.push_back(path.string() + ": routing.fallback_order must hold strings");
                } else if (f->is_string()) {
                    c.fallback_order = split_list(f->get_string());
                } else {
                    c.errors.push_back(path.string() + ": routing.fallback_order must be a list of provider ids");
                }
            }
            if (auto* e = ro.if_contains("fallback_enabled")) {
                if (e->is_bool())
                    c.fallback_enabled = e->get_bool();
                else
                    c.errors.push_back(path.string() + ": routing.fallback_enabled must be true or false");
            }
        }
    }
    if (auto* cache = o.if_contains("cache")) {
        const auto* days = cache->is_object() ? cache->get_object().if_contains("explanation_days") : nullptr;
        if (!cache->is_object() || (days && !(days->is_int64() && days->get_int64() >= 1 && days->get_int64() <= 3650)))
            c.errors.push_back(path.string() + ": \"cache\" must be {\"explanation_days\": 1..3650}");
        else if (days)
            c.explanation_cache_days = static_cast<int>(days->get_int64());
    }
    if (auto* apps = o.if_contains("apps")) {  // {"sabnzbd": {"url": "...", "api_key": "..."}}
        if (!apps->is_object()) {
            c.errors.push_back(path.string() + ": \"apps\" must be an object");
        } else {
            for (const auto& kv : apps->get_object()) {
                std::string name(kv.key());
                if (name != "sabnzbd" && name != "sonarr" && name != "radarr") {
                    c.errors.push_back(path.string() + ": apps." + name + " is not sabnzbd, sonarr or radarr");
                    continue;
                }
                const auto* o2 = kv.value().is_object() ? &kv.value().get_object() : nullptr;
                const auto* url = o2 ? o2->if_contains("url") : nullptr;
                const auto* key = o2 ? o2->if_contains("api_key") : nullptr;
                if (!url || !url->is_string() || (key && !key->is_string())) {
                    c.errors.push_back(path.string() + ": apps." + name + " needs \"url\" (and \"api_key\") strings");
                    continue;
                }
                c.apps[name] = AppConfig{std::string(url->get_string()), key ? std::string(key->get_string()) : ""};
            }
        }
    }
    if (auto* pl = o.if_contains("plugins")) read_plugin_settings(*pl, path.string(), c.plugins, c.errors);
    if (auto* p = o.if_contains("providers")) {
        if (!p->is_object()) {
            c.errors.push_back(path.string() + ": \"providers\" must be an object keyed by plugin id");
        } else {
            for (const auto& kv : p->get_object()) {
                if (!kv.value().is_object()) {
                    c.providers[std::string(kv.key())].invalid_reason =
                        path.string() + ": providers." + std::string(kv.key()) + " must be an object";
                    continue;
                }
                auto& pc = c.providers[std::string(kv.key())];
                pc.settings = kv.value().get_object();
                if (auto* plugin = pc.settings.if_contains("plugin")) {
                    if (plugin->is_string() && !plugin->get_string().empty())
                        pc.plugin = std::string(plugin->get_string());
                    else
                        pc.invalid_reason =
                            path.string() + ": providers." + std::string(kv.key()) + ".plugin must name a plugin id";
                    pc.settings.erase("plugin");
                }
                split_secrets(pc.settings, pc.secrets);
                if (auto* mr = pc.settings.if_contains("max_retries")) {
                    if (mr->is_int64() && mr->get_int64() >= 0 && mr->get_int64() <= 10)
                        pc.max_retries = static_cast<int>(mr->get_int64());
                    else
                        pc.invalid_reason = path.string() + ": providers." + std::string(kv.key()) +
                                            ".max_retries must be an integer from 0 to 10";
                }
            }
        }
    }
}

// An AUTOARR_PROVIDER_<ID>_<KEY> value as a setting: true/false, a number, or
// JSON that starts with { [ or " are taken as JSON; anything else is text
// (docs/configuration.md). So "8080" is a number and "\"8080\"" the text.
json::value env_setting_value(const std::string& text) {
    const std::string t = trim(text);
    json::error_code ec;
    if (t == "true" || t == "false" || (!t.empty() && (t[0] == '{' || t[0] == '[' || t[0] == '"'))) {
        json::value v = json::parse(t, ec);
        if (!ec) return v;
    } else if (auto n = util::parse_number(t); n && !t.empty()) {
        json::value v = json::parse(t, ec);  // keeps 30 an integer and 0.5 a double
        if (!ec && v.is_number()) return v;
    }
    return json::value(text);
}

// AUTOARR_PROVIDER_<ID>_<KEY>: settings and secrets for any provider, after
// the file and the first-party variables (docs/configuration.md,
// "Precedence"). The id is the longest known one the name starts with.
void apply_provider_env(const Environment& env, const std::vector<std::string>& known_ids, Config& c) {
    static constexpr std::string_view kPrefix = "AUTOARR_PROVIDER_";
    std::vector<std::string> ids = known_ids;
    for (const auto& [id, pc] : c.providers) ids.push_back(id);
    for (const auto& [name, value] : env) {
        if (name.size() <= kPrefix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0) continue;
        const std::string rest = name.substr(kPrefix.size());
        std::string best;
        for (const auto& id : ids) {
            const std::string up = provider_env_name(id, "").substr(kPrefix.size());  // "OPENAI_"
            if (rest.size() > up.size() && rest.compare(0, up.size(), up) == 0 && id.size() > best.size()) best = id;
        }
        if (best.empty()) {
            std::string known;
            for (const auto& id : ids)
                if (known.find("\"" + id + "\"") == std::string::npos)
                    known += (known.empty() ? "\"" : ", \"") + id + "\"";
            c.errors.push_back(name + " names no provider (known: " + (known.empty() ? "none" : known) + ")");
            continue;
        }
        const std::string key = lower(rest.substr(provider_env_name(best, "").size() - kPrefix.size()));
        auto& pc = c.providers[best];
        if (secret_setting(key)) {
            if (!value.empty()) pc.secrets[secret_name("", key)] = value;
            continue;
        }
        if (key == "plugin") {
            pc.plugin = trim(value);
            continue;
        }
        pc.settings[key] = env_setting_value(value);
    }
}

void invalid(ProviderConfig& pc, const std::string& var, const std::string& value, const std::string& want) {
    if (pc.invalid_reason.empty()) pc.invalid_reason = var + "=\"" + value + "\" is not " + want;
}

// A boolean environment variable into a provider setting; a bad value makes the provider invalid.
void bool_setting(const Environment& env, const char* var, ProviderConfig& pc, const char* key) {
    if (auto* v = env_get(env, var)) {
        if (auto b = parse_bool(*v))
            pc.settings[key] = *b;
        else
            invalid(pc, var, *v, "true or false");
    }
}

// The original's environment variables for the first-party providers.
void apply_env(const Environment& env, Config& c) {
    if (auto* v = env_get(env, "LLM_PROVIDER"); v && !trim(*v).empty()) {
        c.provider = trim(*v);
        c.provider_explicit = true;
    }
    if (auto* v = env_get(env, "LLM_FALLBACK_ORDER")) c.fallback_order = split_list(*v);
    if (auto* v = env_get(env, "AUTOARR_EXPLANATION_CACHE_DAYS")) {
        if (auto n = parse_int(*v, 1); n && *n <= 3650)
            c.explanation_cache_days = static_cast<int>(*n);
        else
            c.errors.push_back("AUTOARR_EXPLANATION_CACHE_DAYS=\"" + *v + "\" is not a number of days from 1 to 3650");
    }
    if (auto* v = env_get(env, "LLM_FALLBACK_ENABLED")) {
        if (auto b = parse_bool(*v))
            c.fallback_enabled = *b;
        else
            c.errors.push_back("LLM_FALLBACK_ENABLED=\"" + *v + "\" is not true or false");
    }

    auto& ollama = c.providers["ollama"];
    const std::string* url = env_get(env, "OLLAMA_URL");
    if (!url) url = env_get(env, "OLLAMA_BASE_URL");
    if (url) ollama.settings["url"] = *url;
    if (auto* v = env_get(env, "OLLAMA_MODEL")) ollama.settings["model"] = *v;
    if (auto* v = env_get(env, "OLLAMA_TIMEOUT")) {
        if (auto t = parse_positive(*v))
            ollama.settings["timeout_s"] = *t;
        else
            invalid(ollama, "OLLAMA_TIMEOUT", *v, "a positive number of seconds");
    }
    bool_setting(env, "OLLAMA_AUTO_DOWNLOAD", ollama, "auto_download");
    if (auto* v = env_get(env, "OLLAMA_NUM_CTX")) {
        if (auto n = parse_int(*v, 256); n && *n <= 1048576)
            ollama.settings["num_ctx"] = *n;
        else
            invalid(ollama, "OLLAMA_NUM_CTX", *v, "a context window from 256 to 1048576 tokens");
    }
    bool_setting(env, "OLLAMA_THINK", ollama, "think");
    if (!ollama.settings.contains("model")) ollama.settings["model"] = "qwen2.5:7b";

    auto& claude = c.providers["claude"];
    const std::string* key = env_get(env, "CLAUDE_API_KEY");
    if (!key || key->empty()) key = env_get(env, "ANTHROPIC_API_KEY");
    if (key && !key->empty()) claude.secrets["api_key"] = *key;
    if (auto* v = env_get(env, "CLAUDE_MODEL")) claude.settings["model"] = *v;
    if (auto* v = env_get(env, "CLAUDE_MAX_TOKENS")) {
        if (auto n = parse_int(*v, 1))
            claude.settings["max_tokens"] = *n;
        else
            invalid(claude, "CLAUDE_MAX_TOKENS", *v, "a positive integer");
    }
    if (auto* v = env_get(env, "CLAUDE_TIMEOUT")) {
        if (auto t = parse_positive(*v))
            claude.settings["timeout_s"] = *t;
        else
            invalid(claude, "CLAUDE_TIMEOUT", *v, "a positive number of seconds");
    }
    if (auto* v = env_get(env, "CLAUDE_MAX_RETRIES")) {
        if (auto n = parse_int(*v, 0); n && *n <= 10)
            claude.max_retries = static_cast<int>(*n);
        else
            invalid(claude, "CLAUDE_MAX_RETRIES", *v, "an integer from 0 to 10");
    }
    if (auto* v = env_get(env, "CLAUDE_BASE_URL")) claude.settings["base_url"] = *v;
    if (auto* v = env_get(env, "CLAUDE_CA_FILE")) claude.settings["ca_file"] = *v;

    for (const char* app : {"sabnzbd", "sonarr", "radarr"}) {
        std::string upper(app);
        for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        const std::string* app_url = env_get(env, (upper + "_URL").c_str());
        const std::string* app_key = env_get(env, (upper + "_API_KEY").c_str());
        if (app_url && !app_url->empty()) c.apps[app].url = *app_url;
        if (app_key && !app_key->empty() && c.apps.count(app)) c.apps[app].api_key = *app_key;
        if (app_key && !app_key->empty() && !c.apps.count(app))
            c.errors.push_back(upper + "_API_KEY is set but " + upper + "_URL is not");
    }
}

}  // namespace

std::optional<bool> parse_bool(std::string_view text) {
    std::string t = lower(trim(text));
    if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "0" || t == "no" || t == "off") return false;
    return std::nullopt;
}

std::string api_token_problem(std::string_view token) {
    for (unsigned char c : token)
        if (c <= 0x20 || c == 0x7F) return "must not contain whitespace or control characters";
    if (token.size() < kMinApiTokenLength)
        return "is " + std::to_string(token.size()) + " characters long; use at least " +
               std::to_string(kMinApiTokenLength) + " (for example: openssl rand -hex 32)";
    return "";
}

std::vector<std::string> Config::order() const {
    std::vector<std::string> out;
    auto add = [&](const std::string& id) {
        if (!id.empty() && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    };
    if (provider_explicit) add(provider);
    for (const auto& id : fallback_order) add(id);
    return out;
}

const ProviderConfig* Config::provider_config(const std::string& id) const {
    auto it = providers.find(id);
    return it == providers.end() ? nullptr : &it->second;
}

Config load(const Sources& s) {
    Config c;
    std::error_code ec;
    if (s.file) {
        read_file(*s.file, c);
    } else if (const auto* named = env_get(s.env, "AUTOARR_CONFIG"); named && !named->empty()) {
        // Named on purpose (the container sets it to /config/config.json): a missing file is an error.
        read_file(*named, c, "AUTOARR_CONFIG");
    } else if (std::filesystem::exists(s.default_file, ec)) {
        read_file(s.default_file, c);
    }
    apply_env(s.env, c);
    if (s.known_provider_ids) apply_provider_env(s.env, *s.known_provider_ids, c);
    for (auto& [id, pc] : c.providers)
        if (pc.plugin.empty()) pc.plugin = id;
    if (s.provider_flag) {
        c.provider = *s.provider_flag;
        c.provider_explicit = true;
    }
    return c;
}

std::string provider_env_name(std::string_view id, std::string_view key) {
    return sdk::setting_variable(id, key);  // the SDK's, so plugins name the same variable
}

ServeAccess serve_access(const Environment& env) {
    ServeAccess a;
    if (auto* v = env_get(env, "AUTOARR_ALLOWED_HOSTS")) a.allowed_hosts = split_list(*v);
    if (auto* v = env_get(env, "AUTOARR_ALLOWED_ORIGINS")) a.allowed_origins = split_list(*v);
    return a;
}

std::optional<std::string> web_dir(const Environment& env) {
    return trimmed_value(env, "AUTOARR_WEB_DIR");
}

std::optional<std::string> listen_address(const Environment& env) {
    return trimmed_value(env, "AUTOARR_LISTEN");
}

std::string api_token(const Environment& env) {
    const auto* v = env_get(env, "AUTOARR_API_TOKEN");
    return v ? *v : std::string();  // not trimmed: api_token_problem names whitespace in it
}

std::filesystem::path db_path(const Environment& env) {
    if (const auto* v = env_get(env, "AUTOARR_DB"); v && !v->empty()) return *v;
    std::filesystem::path base;
    if (const auto* x = env_get(env, "XDG_DATA_HOME"); x && !x->empty())
        base = *x;
    else if (const auto* h = env_get(env, "HOME"); h && !h->empty())
        base = std::filesystem::path(*h) / ".local" / "share";
    else
        base = ".";
    std::error_code ec;  // a failure shows when the store opens the file, with its own message
    std::filesystem::create_directories(base / "autoarr", ec);
    return base / "autoarr" / "autoarr.db";
}

std::optional<std::filesystem::path> rules_file(const Environment& env) {
    const auto* v = env_get(env, "AUTOARR_RULES");
    if (!v || v->empty()) return std::nullopt;
    return std::filesystem::path(*v);
}

std::optional<std::string> log_level(const Environment& env) {
    return trimmed_value(env, "AUTOARR_LOG_LEVEL");
}

bool no_color(const Environment& env) {
    const auto* v = env_get(env, "NO_COLOR");
    return v && !v->empty();
}

std::optional<std::string> plugin_path(const Environment& env) {
    const auto* v = env_get(env, "AUTOARR_PLUGIN_PATH");
    if (!v) return std::nullopt;
    return *v;
}

Environment process_environment() {
    Environment env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string_view::npos) env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
    return env;
}

bool secret_variable(std::string_view name) {
    // Every name a provider setting counts as a secret, and any *_KEY besides.
    return secret_setting(name) || lower(name).ends_with("_key");
}

std::vector<std::string> plugin_runner_environment(const Environment& env) {
    std::vector<std::string> entries;  // "NAME=value", as execve takes them
    for (const auto& [name, value] : env)
        if (!secret_variable(name)) entries.push_back(name + "=" + value);
    return entries;
}

}  // namespace autoarr::config
