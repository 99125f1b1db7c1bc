// Checks made on a plugin's files before any of its code is loaded
// (docs/abi-policy.md LOAD-4, LOAD-5).
#pragma once

#include <filesystem>
#include <string>

namespace autoarr::plugin {

// LOAD-4 for one plugin: its manifest and its library, each as named and as
// resolved through any symlink, and every directory above each of them up to
// the root. Each must be owned by the effective user or by root and not be
// writable by group or others (the check an SSH daemon makes on its keys). A
// directory above the plugin's own that is writable by others but
// sticky (like /tmp) is accepted: nobody else can rename or remove the entries
// in it that we or root own, and the next entry's owner is checked. "" when
// all are trusted; otherwise the reason, naming the path at fault.
std::string check_plugin_files_trusted(const std::filesystem::path& manifest, const std::filesystem::path& library);

// The architecture name this host was built for: "x86_64", "aarch64", ...
std::string host_architecture();

// "" when the file is an ELF shared object for this host's architecture,
// class and byte order; otherwise the reason (names what it found).
std::string check_elf_matches_host(const std::filesystem::path& library);

}  // namespace autoarr::plugin
