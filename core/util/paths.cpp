#include "util/paths.h"

namespace autoarr::util {

std::filesystem::path executable_dir() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path() : exe.parent_path();
}

std::filesystem::path default_web_dir() {
    return (executable_dir() / ".." / "share" / "autoarr" / "web").lexically_normal();
}

}  // namespace autoarr::util
