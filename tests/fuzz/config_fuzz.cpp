// The configuration reader (core/config/config.cpp): a config file of any
// bytes, with any environment, gives a configuration whose problems are
// listed (never a crash), and no secret-looking setting reaches a plugin's
// settings as config text (ABI-16).
// Input: the file's bytes; after a line "#env", KEY=VALUE lines.
#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "fuzz_support.h"

using namespace autoarr;
namespace json = boost::json;

namespace {

// An oracle written apart from the reader's own: the names of credentials.
bool looks_secret(std::string_view name) {
    std::string s;
    for (unsigned char c : name)
        if (std::isalnum(c)) s += static_cast<char>(std::tolower(c));
    for (std::string_view end : {"apikey", "token", "password", "secret", "credential", "credentials", "passwd"})
        if (s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0) return true;
    return false;
}

void check_no_secret(const json::value& v) {
    if (v.is_array())
        for (const auto& e : v.get_array()) check_no_secret(e);
    if (!v.is_object()) return;
    for (const auto& kv : v.get_object()) {
        FUZZ_CHECK(!looks_secret(kv.key()), "no secret-looking setting in a plugin's settings");
        check_no_secret(kv.value());
    }
}

const std::filesystem::path& config_file() {
    static const std::filesystem::path p =
        std::filesystem::temp_directory_path() / ("autoarr-fuzz-config-" + std::to_string(::getpid()) + ".json");
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto text = fuzz::as_text(data, size);
    config::Environment env;
    if (const auto at = text.find("\n#env\n"); at != std::string_view::npos) {
        auto rest = text.substr(at + 6);
        text = text.substr(0, at);
        while (!rest.empty()) {
            const auto lf = rest.find('\n');
            const auto line = rest.substr(0, lf);
            if (const auto eq = line.find('='); eq != std::string_view::npos)
                env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
            if (lf == std::string_view::npos) break;
            rest.remove_prefix(lf + 1);
        }
    }
    {
        std::ofstream out(config_file(), std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    config::Sources sources;
    sources.env = env;
    sources.file = config_file();
    const auto c = config::load(sources);
    for (const auto& [id, pc] : c.providers) {
        check_no_secret(json::value(pc.settings));
        (void)json::serialize(pc.settings);
        if (pc.max_retries) FUZZ_CHECK(*pc.max_retries >= 0 && *pc.max_retries <= 10, "max_retries is 0..10");
    }
    FUZZ_CHECK(c.explanation_cache_days >= 1 && c.explanation_cache_days <= 3650, "cache days are 1..3650");
    (void)c.order();
    const auto access = config::serve_access(env);
    for (const auto& h : access.allowed_hosts) FUZZ_CHECK(!h.empty(), "no empty allowed host");
    for (const auto& [k, v] : env) {
        (void)config::api_token_problem(v);
        (void)config::parse_bool(v);
    }
    return 0;
}
