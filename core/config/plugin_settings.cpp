#include "config/plugin_settings.h"

namespace autoarr::config {
namespace json = boost::json;

namespace {

void integer(const json::object& o, const char* key, int64_t min, int64_t max, std::optional<int64_t>& out,
             const std::string& where, std::vector<std::string>& errors) {
    const json::value* v = o.if_contains(key);
    if (!v) return;
    if (!v->is_int64() || v->get_int64() < min || v->get_int64() > max) {
        errors.push_back(where + "." + key + " must be an integer from " + std::to_string(min) + " to " +
                         std::to_string(max));
        return;
    }
    out = v->get_int64();
}

void read_runner(const json::value& v, const std::string& where, RunnerSettings& r, std::vector<std::string>& errors) {
    if (!v.is_object()) {
        errors.push_back(where + " must be an object");
        return;
    }
    const auto& o = v.get_object();
    std::optional<int64_t> mem, files;
    integer(o, "memory_limit_mb", 0, 1 << 20, mem, where, errors);
    integer(o, "open_files", 16, 1 << 20, files, where, errors);
    if (mem) r.memory_limit_mb = static_cast<uint64_t>(*mem);
    if (files) r.open_files = static_cast<uint64_t>(*files);
    integer(o, "load_deadline_ms", 10, 600000, r.load_deadline_ms, where, errors);
    integer(o, "kill_grace_ms", 1, 60000, r.kill_grace_ms, where, errors);
    integer(o, "restart_backoff_ms", 1, 600000, r.restart_backoff_ms, where, errors);
    integer(o, "max_restart_backoff_ms", 1, 3600000, r.max_restart_backoff_ms, where, errors);
    integer(o, "quarantine_after", 1, 1000, r.quarantine_after, where, errors);
    integer(o, "quarantine_window_ms", 1, 86400000, r.quarantine_window_ms, where, errors);
    if (const json::value* s = o.if_contains("seccomp")) {
        if (s->is_bool())
            r.seccomp = s->get_bool();
        else
            errors.push_back(where + ".seccomp must be true or false");
    }
}

}  // namespace

void read_plugin_settings(const json::value& section, const std::string& file, PluginSettings& out,
                          std::vector<std::string>& errors) {
    const std::string where = file + ": plugins";
    if (!section.is_object()) {
        errors.push_back(where + " must be an object");
        return;
    }
    const auto& o = section.get_object();
    if (const json::value* k = o.if_contains("trusted_keys")) {
        if (k->is_string()) {
            out.trusted_keys_dirs.emplace_back(std::string(k->get_string()));
        } else if (k->is_array()) {
            for (const auto& d : k->get_array()) {
                if (d.is_string())
                    out.trusted_keys_dirs.emplace_back(std::string(d.get_string()));
                else
                    errors.push_back(where + ".trusted_keys must be a directory or a list of directories");
            }
        } else {
            errors.push_back(where + ".trusted_keys must be a directory or a list of directories");
        }
    }
    if (const json::value* d = o.if_contains("directories")) {
        if (!d->is_object()) {
            errors.push_back(where + ".directories must be an object keyed by directory");
        } else {
            for (const auto& kv : d->get_object()) {
                const auto* dir = kv.value().if_object();
                const json::value* req = dir ? dir->if_contains("require_signatures") : nullptr;
                if (!req || !req->is_bool()) {
                    errors.push_back(where + ".directories." + std::string(kv.key()) +
                                     " needs \"require_signatures\": true or false");
                    continue;
                }
                out.require_signatures[std::string(kv.key())] = req->get_bool();
            }
        }
    }
    if (const json::value* iso = o.if_contains("isolation")) {
        if (!iso->is_object()) {
            errors.push_back(where + ".isolation must be an object keyed by plugin id");
        } else {
            for (const auto& kv : iso->get_object()) {
                const json::string* s = kv.value().if_string();
                if (!s || (*s != "in-process" && *s != "process")) {
                    errors.push_back(where + ".isolation." + std::string(kv.key()) +
                                     " must be \"in-process\" or \"process\"");
                    continue;
                }
                out.isolation[std::string(kv.key())] = std::string(*s);
            }
        }
    }
    if (const json::value* r = o.if_contains("runner")) read_runner(*r, where + ".runner", out.runner, errors);
}

}  // namespace autoarr::config
