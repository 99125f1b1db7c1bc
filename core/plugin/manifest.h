// The plugin manifest: manifest.json beside the library (docs/abi-policy.md LOAD-1).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace autoarr::plugin {

struct Manifest {
    std::filesystem::path manifest_path;
    std::string manifest_version;  // "1.0"; only major 1 is understood
    std::string id;
    std::string name;
    std::string version;
    std::filesystem::path library;  // absolute: resolved against the manifest's directory
    std::string architecture;       // e.g. "x86_64"
    std::string abi_version;        // the SDK ABI it was built against, "1.0"
    uint32_t abi_version_number = 0;
    int32_t priority = 100;  // lower is tried first
    // "in-process", "process", or "" for the search directory's default (ISO-1).
    std::string isolation;
    std::string source_text;  // the manifest's bytes as read: what a signature covers (LOAD-10)
};

struct ManifestResult {
    std::optional<Manifest> manifest;
    std::string error;  // set when manifest is empty; names the field at fault
};

// Reads and validates a manifest file. Unknown fields are ignored; an unknown
// manifest major version is an error naming it.
ManifestResult read_manifest(const std::filesystem::path& path);
ManifestResult parse_manifest(std::string_view text, const std::filesystem::path& path);

// "1.0" -> 0x00010000; nullopt when not "<major>.<minor>".
std::optional<uint32_t> parse_abi_version(std::string_view text);
std::string format_abi_version(uint32_t version);

// True for ids of the form [a-z0-9][a-z0-9._-]* up to 64 characters.
bool valid_plugin_id(std::string_view id);

}  // namespace autoarr::plugin
