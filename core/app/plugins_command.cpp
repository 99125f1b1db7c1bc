#include "app/plugins_command.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

#include "app/cli_args.h"
#include "app/default_paths.h"
#include "plugin/records_json.h"
#include "plugin/signature.h"
#include "store/store.h"
#include "util/log.h"
#include "util/paths.h"

namespace autoarr::app {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: autoarr plugins list [--json] [--plugin-dir DIR]... [--no-builtin-plugins] [--config FILE]\n"
    "                            [--trusted-keys DIR] [--db PATH]  (--db: the service's store, for quarantines)\n"
    "       autoarr plugins sign --key PRIVATE_KEY.pem DIR     sign the plugin in DIR (or each plugin under DIR)\n"
    "       autoarr plugins verify [--trusted-keys DIR] DIR    check the signature of the plugin(s) in DIR\n";

// DIR itself when it holds a manifest, else each subdirectory that does.
std::vector<fs::path> plugin_dirs_in(const fs::path& dir) {
    std::error_code ec;
    if (fs::exists(dir / "manifest.json", ec)) return {dir};
    std::vector<fs::path> out;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (fs::exists(it->path() / "manifest.json", ec)) out.push_back(it->path());
    std::sort(out.begin(), out.end());
    return out;
}

config::PluginSettings settings_from(const CliArgs& a, std::vector<std::string>& errors) {
    config::Sources sources;
    sources.env = config::process_environment();
    if (auto f = a.value("--config")) sources.file = *f;
    config::Config c = config::load(sources);
    errors = c.errors;
    return c.plugins;
}

int sign(const CliArgs& a) {
    auto key = a.value("--key");
    if (!key || a.positional().size() != 2) {
        std::cerr << "autoarr plugins sign: needs --key PRIVATE_KEY.pem and one DIR\n" << kUsage;
        return 2;
    }
    auto dirs = plugin_dirs_in(a.positional()[1]);
    if (dirs.empty()) {
        std::cerr << "autoarr plugins sign: no manifest.json in " << a.positional()[1] << " or its subdirectories\n";
        return 1;
    }
    int failed = 0;
    for (const auto& d : dirs) {
        if (auto why = plugin::sign_plugin_dir(d, *key); !why.empty()) {
            std::cerr << "autoarr plugins sign: " << d.string() << ": " << why << "\n";
            ++failed;
        } else {
            std::cout << "signed " << (d / plugin::kSignatureFileName).string() << "\n";
        }
    }
    return failed ? 1 : 0;
}

int verify(const CliArgs& a) {
    if (a.positional().size() != 2) {
        std::cerr << "autoarr plugins verify: needs one DIR\n" << kUsage;
        return 2;
    }
    std::vector<std::string> errors;
    const auto settings = settings_from(a, errors);
    std::vector<std::string> problems;
    const auto dirs_of_keys = trusted_key_dirs(settings, a.value("--trusted-keys"));
    const auto keys = plugin::read_trusted_keys(dirs_of_keys, &problems);
    for (const auto& p : problems) std::cerr << "autoarr plugins verify: skipped key " << p << "\n";
    auto dirs = plugin_dirs_in(a.positional()[1]);
    if (dirs.empty()) {
        std::cerr << "autoarr plugins verify: no manifest.json in " << a.positional()[1] << " or its subdirectories\n";
        return 1;
    }
    int failed = 0;
    for (const auto& d : dirs) {
        auto check = plugin::verify_plugin_dir(d, keys);
        if (check.ok) {
            std::cout << "ok     " << d.string() << " (key " << check.key_id << ")\n";
        } else {
            std::cout << "FAILED " << d.string() << ": " << check.cause << " [" << check.rule << "]\n";
            ++failed;
        }
    }
    return failed ? 1 : 0;
}

// ISO-4: a quarantine happens in the running service; its store remembers each
// provider's last state. Plugin id -> reason, for those the service quarantined.
std::map<std::string, std::string> quarantined_by_service(const CliArgs& a,
                                                          const std::vector<plugin::PluginRecord>& records) {
    std::map<std::string, std::string> out;
    const std::string path = a.value("--db").value_or(default_db_path());
    std::error_code ec;
    if (!fs::exists(path, ec)) return out;
    try {
        store::Store db(path);
        for (const auto& r : records) {
            if (!r.loaded) continue;
            auto transitions = db.health_transitions(r.id);
            if (!transitions.empty() && transitions.back().first == "quarantined")
                out[r.id] = transitions.back().second;
        }
    } catch (const std::exception& e) {
        log::warn("plugins", "cannot read the service's provider states from " + path + ": " + e.what());
    }
    return out;
}

// Is `path` inside `dir`, component by component (/x/p2/lib.so is not inside
// /x/p), both taken from the working directory when relative ("." too)?
bool is_within(const fs::path& path, const fs::path& dir) {
    if (dir.empty()) return false;
    std::error_code ec;
    const fs::path p = fs::absolute(path, ec).lexically_normal(), d = fs::absolute(dir, ec).lexically_normal();
    auto di = d.begin(), pi = p.begin();
    for (; di != d.end() && !di->empty(); ++di, ++pi)
        if (pi == p.end() || *pi != *di) return false;
    return true;
}

int list(const CliArgs& a) {
    std::vector<std::string> errors;
    const auto settings = settings_from(a, errors);
    for (const auto& e : errors) log::warn("config", e);
    auto registry = plugin::PluginRegistry::discover(
        search_path_from(a.values("--plugin-dir"), !a.has("--no-builtin-plugins"), settings),
        loader_options(settings, a.value("--trusted-keys")));
    const auto quarantined = quarantined_by_service(a, registry.records());
    // A directory named on purpose that yields nothing usable is a failure:
    // scripts (and packaging tests) must not mistake it for success.
    int status = 0;
    for (const auto& dir : a.values("--plugin-dir")) {
        bool any = false;
        for (const auto& r : registry.records()) any = any || (r.loaded && is_within(r.path, dir));
        if (!any) {
            std::cerr << "autoarr plugins: no loadable plugin in --plugin-dir " << dir << "\n";
            status = 1;
        }
    }
    if (a.has("--json")) {
        json::array arr = plugin::plugin_records_array(registry.records());
        for (auto& v : arr) {
            auto& o = v.as_object();
            if (auto it = quarantined.find(std::string(o.at("id").as_string())); it != quarantined.end()) {
                o["service_state"] = "quarantined";
                o["service_reason"] = it->second;
            }
        }
        std::cout << json::serialize(arr) << "\n";
        return status;
    }
    if (registry.records().empty()) {
        std::cout << "no plugins found\n";
        return status;
    }
    // Columns as wide as their longest value, so long ids and versions never run together.
    int id_w = 2, version_w = 7, abi_w = 3;
    for (const auto& r : registry.records()) {
        id_w = std::max(id_w, static_cast<int>(r.id.size()));
        version_w = std::max(version_w, static_cast<int>(r.version.size()));
        abi_w = std::max(abi_w, static_cast<int>(r.abi_version.size()));
    }
    const int indent = id_w + 2;
    std::printf("%-*s  %-*s  %-*s  %-8s  %-10s  %s\n", id_w, "ID", version_w, "VERSION", abi_w, "ABI", "STATE",
                "ISOLATION", "PATH / REASON");
    for (const auto& r : registry.records()) {
        std::printf("%-*s  %-*s  %-*s  %-8s  %-10s  %s\n", id_w, r.id.c_str(), version_w, r.version.c_str(), abi_w,
                    r.abi_version.c_str(), r.loaded ? "loaded" : "rejected", r.isolation.c_str(),
                    r.loaded ? r.path.c_str() : r.reason().c_str());
        if (!r.loaded) std::printf("%-*s%s\n", indent, "", r.path.c_str());
        if (auto it = quarantined.find(r.id); it != quarantined.end())
            std::printf("%-*squarantined by the service: %s\n", indent, "", it->second.c_str());
    }
    return status;
}

}  // namespace

std::vector<plugin::SearchDir> search_path_from(const std::vector<std::string>& plugin_dirs, bool builtin,
                                                const config::PluginSettings& settings) {
    plugin::SearchPathOptions o;
    for (const auto& d : plugin_dirs) o.cli_dirs.emplace_back(d);
    if (auto env = config::plugin_path(config::process_environment())) o.env_path = *env;
    o.executable_dir = util::executable_dir();
    o.include_builtin = builtin;
    for (const auto& [dir, required] : settings.require_signatures)
        (required ? o.signed_dirs : o.unsigned_dirs).emplace_back(dir);
    return plugin::plugin_search_path(o);
}

std::vector<fs::path> trusted_key_dirs(const config::PluginSettings& settings, const std::optional<std::string>& flag) {
    if (flag) return {fs::path(*flag)};
    if (!settings.trusted_keys_dirs.empty()) return settings.trusted_keys_dirs;
    return {"/etc/autoarr/trusted-keys",
            (util::executable_dir() / ".." / "share" / "autoarr" / "trusted-keys").lexically_normal()};
}

plugin::LoaderOptions loader_options(const config::PluginSettings& s, const std::optional<std::string>& flag) {
    plugin::LoaderOptions o;
    std::vector<std::string> problems;
    o.trusted_keys = plugin::read_trusted_keys(trusted_key_dirs(s, flag), &problems);
    for (const auto& p : problems) log::warn("plugin", "trusted key skipped: " + p);
    o.isolation_overrides = s.isolation;
    using ms = std::chrono::milliseconds;
    const auto& r = s.runner;
    if (r.memory_limit_mb) o.runner.memory_limit_mb = *r.memory_limit_mb;
    if (r.open_files) o.runner.open_files = *r.open_files;
    if (r.load_deadline_ms) o.runner.load_deadline = ms(*r.load_deadline_ms);
    if (r.kill_grace_ms) o.runner.kill_grace = ms(*r.kill_grace_ms);
    if (r.restart_backoff_ms) o.runner.restart_backoff = ms(*r.restart_backoff_ms);
    if (r.max_restart_backoff_ms) o.runner.max_restart_backoff = ms(*r.max_restart_backoff_ms);
    if (r.quarantine_after) o.runner.quarantine_after = static_cast<int>(*r.quarantine_after);
    if (r.quarantine_window_ms) o.runner.quarantine_window = ms(*r.quarantine_window_ms);
    if (r.seccomp) o.runner.seccomp = *r.seccomp;
    o.runner.environment = config::plugin_runner_environment(config::process_environment());
    return o;
}

int run_plugins_command(const std::vector<std::string>& args) {
    CliArgs a(args, {"--json", "--no-builtin-plugins", "--help"},
              {"--plugin-dir", "--config", "--trusted-keys", "--key", "--db"});
    if (!a.error().empty()) {
        std::cerr << "autoarr plugins: " << a.error() << "\n";
        return 2;
    }
    if (a.has("--help") || a.positional().empty()) {
        std::cout << kUsage;
        return a.has("--help") ? 0 : 2;
    }
    const std::string& sub = a.positional()[0];
    if (sub == "sign") return sign(a);
    if (sub == "verify") return verify(a);
    if (sub != "list" || a.positional().size() != 1) {
        std::cerr << "autoarr plugins: unknown subcommand '" << sub << "' (expected list, sign or verify)\n";
        return 2;
    }
    return list(a);
}

}  // namespace autoarr::app
