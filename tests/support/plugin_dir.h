// Lays out plugin directories the way the host expects them, from the real
// fixture shared objects built by tests/CMakeLists.txt.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "support/temp_dir.h"

#ifndef AUTOARR_FIXTURE_PLUGIN_DIR
#error "AUTOARR_FIXTURE_PLUGIN_DIR must name the directory of the built fixture plugins"
#endif

namespace autoarr::test {

inline std::filesystem::path fixture_library(const std::string& name) {
    return std::filesystem::path(AUTOARR_FIXTURE_PLUGIN_DIR) / ("lib" + name + ".so");
}

inline std::string manifest_json(const std::string& id, const std::string& library,
                                 const std::string& manifest_version = "1.0",
                                 const std::string& architecture = "x86_64", int priority = 50) {
    return "{\"manifest_version\":\"" + manifest_version + "\",\"id\":\"" + id + "\",\"name\":\"Fixture " + id +
           "\",\"version\":\"1.0.0\",\"library\":\"" + library + "\",\"architecture\":\"" + architecture +
           "\",\"abi_version\":\"1.0\",\"priority\":" + std::to_string(priority) +
           ",\"future_field\":{\"ignored\":true}}";
}

// Installs fixture `lib_name` as <root>/<dir_name>/ with a manifest naming `id`.
inline std::filesystem::path install_fixture(const std::filesystem::path& root, const std::string& dir_name,
                                             const std::string& lib_name, const std::string& id) {
    auto dir = root / dir_name;
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0755);
    auto lib = dir / ("lib" + lib_name + ".so");
    std::filesystem::copy_file(fixture_library(lib_name), lib, std::filesystem::copy_options::overwrite_existing);
    ::chmod(lib.c_str(), 0755);
    write_file(dir / "manifest.json", manifest_json(id, lib.filename().string()));
    return dir;
}

}  // namespace autoarr::test
