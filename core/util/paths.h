#pragma once

#include <filesystem>

namespace autoarr::util {

// The directory holding the running executable (from /proc/self/exe).
std::filesystem::path executable_dir();

// Where the web UI's built files sit beside the executable: <bindir>/../share/autoarr/web,
// in a build tree (build/<preset>/share/...) as in a package (/usr/share/autoarr/web).
std::filesystem::path default_web_dir();

}  // namespace autoarr::util
