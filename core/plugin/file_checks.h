// Checks made on a plugin's files before any of its code is loaded
// (docs/abi-policy.md LOAD-4, LOAD-5).
#pragma once

#include <filesystem>
#include <string>

namespace autoarr::plugin {

// "" when path (a file or directory) is safe to trust: not writable by group
// or others, and owned by the effective user or by root -- the check an SSH
// daemon makes on its keys. Otherwise the reason.
std::string check_trusted_path(const std::filesystem::path& path);

// The architecture name this host was built for: "x86_64", "aarch64", ...
std::string host_architecture();

// "" when the file is an ELF shared object for this host's architecture,
// class and byte order; otherwise the reason (names what it found).
std::string check_elf_matches_host(const std::filesystem::path& library);

}  // namespace autoarr::plugin
