#include "plugin/plugin_loader.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/dll/shared_library.hpp>
#include <cstring>
#include <vector>

#include "plugin/abi_sizes.h"
#include "plugin/file_checks.h"
#include "plugin/isolation/remote_plugin.h"
#include "util/log.h"
#include "version.h"

namespace autoarr::plugin {
namespace {

LoadOutcome fail(LoadStep step, std::string rule, std::string cause) {
    return LoadOutcome{nullptr, LoadFailure{step, std::move(rule), std::move(cause)}};
}

// ABI-19: a library whose code ran (its constructors run at load) is never
// unloaded; its handle is parked here for the life of the process.
void keep_descriptor_forever(int fd) {
    static std::mutex mutex;
    static auto* fds = new std::vector<int>();  // never destroyed: the descriptors stay open
    std::lock_guard lock(mutex);
    fds->push_back(fd);
}

void keep_loaded_forever(boost::dll::shared_library&& lib) {
    static std::mutex mutex;
    static auto* libraries = new std::vector<boost::dll::shared_library>();  // never destroyed
    std::lock_guard lock(mutex);
    libraries->push_back(std::move(lib));
}

// LOAD-8: a plugin whose code crashes or hangs the process in-process cannot
// be reported afterwards, so the step is announced before its code runs: the
// last line of the log names the culprit (at info) and the step (at debug).
void announce(const Manifest& m, LoadStep step) {
    const std::string line =
        "loading " + m.id + " from " + m.library.string() + ": step " + std::string(step_name(step));
    if (step == LoadStep::load)
        log::info("plugin", line);
    else
        log::debug("plugin", line);
}

// Boost.DLL consumes dlerror() on failure, and that text ("undefined symbol:
// x", "file too short") is what a plugin author needs. A failed dlopen runs
// no code, so repeating it once purely for the diagnostic is harmless.
std::string dlopen_diagnostic(const std::filesystem::path& path, const std::string& fallback) {
    ::dlerror();
    void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h) {  // loaded this time (a race with a file change): keep it, report the first failure
        return fallback;
    }
    const char* detail = ::dlerror();
    return detail ? std::string(detail) : fallback;
}

bool c_string_ok(const char* s, std::size_t max = 256) {
    if (!s) return false;
    std::size_t n = strnlen(s, max + 1);
    return n > 0 && n <= max;
}

// ABI-3/ABI-4: the right struct_type, and at least the 1.0 size.
std::string check_header(const char* what, uint32_t type, uint32_t size, uint32_t want_type, std::size_t min_size) {
    if (type != want_type)
        return std::string(what) + " has struct_type " + std::to_string(type) + ", expected " +
               std::to_string(want_type);
    if (size < min_size)
        return std::string(what) + " struct_size " + std::to_string(size) + " is below the 1.0 size " +
               std::to_string(min_size);
    return {};
}

std::string check_info(const autoarr_plugin_info* info, const Manifest& m) {
    if (!info) return "negotiation returned a NULL plugin info";
    if (auto why = check_header("plugin info", info->struct_type, info->struct_size, AUTOARR_STRUCT_PLUGIN_INFO,
                                abi_1_0::kPluginInfoSize);
        !why.empty())
        return why;
    if (!c_string_ok(info->id) || !c_string_ok(info->name) || !c_string_ok(info->version))
        return "plugin info id, name and version must be non-empty strings";
    if (m.id != info->id)
        return "plugin reports id \"" + std::string(info->id) + "\" but its manifest says \"" + m.id + "\"";
    return {};
}

std::string check_table(const autoarr_provider_table* t) {
    if (!t) return "negotiation returned a NULL provider table";
    if (auto why = check_header("provider table", t->struct_type, t->struct_size, AUTOARR_STRUCT_PROVIDER_TABLE,
                                abi_1_0::kProviderTableSize);
        !why.empty())
        return why;
    struct Slot {
        const void* fn;
        const char* name;
    };
    const Slot required[] = {
        {reinterpret_cast<const void*>(t->module_startup), "module_startup"},
        {reinterpret_cast<const void*>(t->module_shutdown), "module_shutdown"},
        {reinterpret_cast<const void*>(t->instance_create), "instance_create"},
        {reinterpret_cast<const void*>(t->instance_destroy), "instance_destroy"},
        {reinterpret_cast<const void*>(t->get_capabilities), "get_capabilities"},
        {reinterpret_cast<const void*>(t->health_check), "health_check"},
        {reinterpret_cast<const void*>(t->complete), "complete"},
    };
    for (const Slot& s : required)
        if (!s.fn) return std::string("required slot ") + s.name + " is NULL";
    return {};
}

}  // namespace

std::string_view step_name(LoadStep step) {
    switch (step) {
        case LoadStep::manifest:
            return "manifest";
        case LoadStep::duplicate:
            return "duplicate";
        case LoadStep::permissions:
            return "permissions";
        case LoadStep::architecture:
            return "architecture";
        case LoadStep::signature:
            return "signature";
        case LoadStep::load:
            return "load";
        case LoadStep::symbol:
            return "symbol";
        case LoadStep::negotiate:
            return "negotiate";
        case LoadStep::validate:
            return "validate";
        case LoadStep::startup:
            return "startup";
    }
    return "?";
}

LoadOutcome load_plugin(const Manifest& m, const LoaderOptions& options) {
    // LOAD-5: the manifest's architecture and the ABI it was built for.
    if (m.architecture != host_architecture())
        return fail(
            LoadStep::architecture, "LOAD-5",
            "manifest architecture \"" + m.architecture + "\" is not this host's \"" + host_architecture() + "\"");
    if ((m.abi_version_number >> 16) != (options.max_abi_version >> 16) ||
        m.abi_version_number < options.min_abi_version)
        return fail(LoadStep::manifest, "ABI-6",
                    "manifest abi_version " + m.abi_version + " is outside this host's range " +
                        format_abi_version(options.min_abi_version) + ".." +
                        format_abi_version(options.max_abi_version));

    // LOAD-4: nobody but us or root may have changed what we are about to run,
    // nor the manifest that named it, nor any directory on the way to either.
    if (options.check_permissions) {
        for (const auto& p : {m.library.parent_path(), m.library}) {
            std::error_code ec;
            if (!std::filesystem::exists(p, ec))
                return fail(LoadStep::permissions, "LOAD-6", p.string() + " does not exist");
        }
        if (auto why = check_plugin_files_trusted(m.manifest_path, m.library); !why.empty())
            return fail(LoadStep::permissions, "LOAD-4", why);
    }
    if (auto why = check_elf_matches_host(m.library); !why.empty()) return fail(LoadStep::architecture, "LOAD-5", why);

    // LOAD-9/LOAD-10: the signature is checked on the bytes read from one open
    // descriptor, and that same descriptor is what gets loaded (/proc/self/fd/N,
    // decision 0002), here or in the runner. It is never closed (ABI-19).
    std::filesystem::path load_path = m.library;
    int library_fd = -1;
    const bool by_descriptor = options.require_signatures || options.isolation == "process";
    if (by_descriptor) {
        library_fd = ::open(m.library.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (library_fd < 0 || ::fstat(library_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            if (library_fd >= 0) ::close(library_fd);
            return fail(LoadStep::permissions, "LOAD-6", "cannot open " + m.library.string() + " as a regular file");
        }
        keep_descriptor_forever(library_fd);
        if (::access("/proc/self/fd", X_OK) == 0)
            load_path = "/proc/self/fd/" + std::to_string(library_fd);
        else
            log::warn("plugin", "/proc is not mounted: " + m.library.string() +
                                    " is loaded by its path after its signature was checked on a descriptor");
    }
    if (options.require_signatures) {
        std::string error;
        auto bytes = read_fd_fully(library_fd, std::size_t{1} << 30, &error);
        if (!bytes) return fail(LoadStep::signature, "LOAD-9", m.library.string() + ": " + error);
        SignatureCheck check = check_signature(m.manifest_path.parent_path(), m.source_text,
                                               m.library.filename().string(), *bytes, options.trusted_keys);
        if (!check.ok) return fail(LoadStep::signature, check.rule, check.cause);
        log::debug("plugin", m.id + ": signature verified with key " + check.key_id);
    }

    auto context = std::make_unique<PluginHostContext>();
    context->plugin_id = m.id;
    if (options.isolation == "process")
        return isolation::start_remote_plugin(m, library_fd, options, std::move(context));
    return load_library(m, load_path, options, std::move(context));
}

LoadOutcome load_library(const Manifest& m, const std::filesystem::path& load_path, const LoaderOptions& options,
                         std::unique_ptr<PluginHostContext> context) {
    // LOAD-7: resolve every symbol now, keep the plugin's symbols to itself.
    boost::dll::shared_library lib;
    boost::dll::fs::error_code ec;
    announce(m, LoadStep::load);  // the library's constructors run inside load()
    lib.load(load_path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec || !lib.is_loaded())
        return fail(LoadStep::load, "LOAD-7", "cannot load: " + dlopen_diagnostic(load_path, ec.message()));
    // From here on the library's code (its constructors) has run.
    auto park = [&] { keep_loaded_forever(std::move(lib)); };

    if (!lib.has(AUTOARR_NEGOTIATE_SYMBOL)) {
        park();
        return fail(LoadStep::symbol, "ABI-9", "no exported symbol " AUTOARR_NEGOTIATE_SYMBOL);
    }
    auto negotiate =
        lib.get<int32_t(const autoarr_negotiate_input*, autoarr_negotiate_output*)>(AUTOARR_NEGOTIATE_SYMBOL);

    autoarr_negotiate_input in{};
    in.struct_type = AUTOARR_STRUCT_NEGOTIATE_INPUT;
    in.struct_size = sizeof in;
    in.min_abi_version = options.min_abi_version;
    in.max_abi_version = options.max_abi_version;
    in.host_version = AUTOARR_VERSION_STRING;
    autoarr_negotiate_output out{};
    out.struct_type = AUTOARR_STRUCT_NEGOTIATE_OUTPUT;
    out.struct_size = sizeof out;

    int32_t rc = AUTOARR_ERR_INTERNAL;
    announce(m, LoadStep::negotiate);
    try {
        rc = negotiate(&in, &out);
    } catch (const std::exception& e) {
        park();
        return fail(LoadStep::negotiate, "ABI-11", std::string("an exception escaped negotiation: ") + e.what());
    } catch (...) {
        park();
        return fail(LoadStep::negotiate, "ABI-11", "an exception escaped negotiation");
    }
    park();
    if (rc != AUTOARR_OK)
        return fail(LoadStep::negotiate, "ABI-5",
                    "the plugin refused negotiation (code " + std::to_string(rc) + ") for host range " +
                        format_abi_version(in.min_abi_version) + ".." + format_abi_version(in.max_abi_version));
    if (out.struct_type != AUTOARR_STRUCT_NEGOTIATE_OUTPUT || out.struct_size != sizeof out)
        return fail(LoadStep::validate, "ABI-3", "the plugin overwrote the negotiate output's header");
    if (out.abi_version < in.min_abi_version || out.abi_version > in.max_abi_version)
        return fail(LoadStep::negotiate, "ABI-5",
                    "the plugin chose ABI " + format_abi_version(out.abi_version) + ", outside the host's range " +
                        format_abi_version(in.min_abi_version) + ".." + format_abi_version(in.max_abi_version));
    if (auto why = check_table(out.table); !why.empty())
        return fail(LoadStep::validate, why.find("slot") != std::string::npos ? "ABI-10" : "ABI-4", why);
    if (auto why = check_info(out.info, m); !why.empty())
        return fail(LoadStep::validate, why.find("manifest") != std::string::npos ? "ABI-7" : "ABI-4", why);

    autoarr_startup_args args{};
    args.struct_type = AUTOARR_STRUCT_STARTUP_ARGS;
    args.struct_size = sizeof args;
    args.abi_version = out.abi_version;
    args.host_services = host_services(out.abi_version);
    args.host_context = context.get();
    args.host_version = AUTOARR_VERSION_STRING;
    CallError err;
    announce(m, LoadStep::startup);
    try {
        rc = out.table->module_startup(&args, err.raw());
    } catch (...) {
        return fail(LoadStep::startup, "ABI-11", "an exception escaped module_startup");
    }
    if (rc != AUTOARR_OK) {
        std::string cause = "module_startup failed (code " + std::to_string(rc) + ")";
        if (!err.message().empty()) cause += ": " + err.message();
        return fail(LoadStep::startup, "ABI-10", cause);
    }
    auto plugin = std::make_shared<LoadedPlugin>(m, out.abi_version, out.info, out.table, std::move(context));
    return LoadOutcome{std::move(plugin), {}};
}

}  // namespace autoarr::plugin
