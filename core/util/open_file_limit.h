// The process's open-file limit (RLIMIT_NOFILE). Every connection is a file
// descriptor; the soft limit is often 1024 (systemd's default) although the
// hard limit allows far more.
#pragma once

#include <cstdint>
#include <string>

namespace autoarr::util {

struct OpenFileLimit {
    uint64_t soft = 0;
    uint64_t hard = 0;
    std::string error;  // non-empty: the soft limit could not be raised, and why
};

// Raises the soft limit to the hard one (unlimited counts as the kernel's
// nr_open ceiling) and says what it is now.
OpenFileLimit raise_open_file_limit();

}  // namespace autoarr::util
