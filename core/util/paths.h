#pragma once

#include <filesystem>

namespace autoarr::util {

// The directory holding the running executable (from /proc/self/exe).
std::filesystem::path executable_dir();

}  // namespace autoarr::util
