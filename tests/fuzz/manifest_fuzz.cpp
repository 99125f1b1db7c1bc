// The plugin manifest (core/plugin/manifest.cpp): any bytes in manifest.json
// give a manifest that keeps LOAD-6 (the library beside the manifest) and a
// valid id, or an error that says what is wrong; never a crash.
#include "fuzz_support.h"
#include "plugin/manifest.h"

using namespace autoarr;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::filesystem::path where = "/plugins/fuzz/manifest.json";
    auto r = plugin::parse_manifest(fuzz::as_text(data, size), where);
    if (!r.manifest) {
        FUZZ_CHECK(!r.error.empty(), "a refused manifest names its fault");
        return 0;
    }
    const auto& m = *r.manifest;
    FUZZ_CHECK(plugin::valid_plugin_id(m.id), "an accepted id is valid");
    FUZZ_CHECK(m.library.parent_path() == where.parent_path(), "the library sits beside the manifest (LOAD-6)");
    FUZZ_CHECK(m.library.filename() != "." && m.library.filename() != "..", "the library is a file name");
    FUZZ_CHECK(plugin::parse_abi_version(plugin::format_abi_version(m.abi_version_number)) == m.abi_version_number,
               "the ABI version reads back as written");
    // Unset (the directory's default decides, LOAD-9), or one of the two modes.
    FUZZ_CHECK(m.isolation.empty() || m.isolation == "in-process" || m.isolation == "process",
               "an accepted isolation is unset, in-process or process");
    return 0;
}
