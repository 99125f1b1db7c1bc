#include "util/open_file_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace autoarr::util {

OpenFileLimit raise_open_file_limit() {
    OpenFileLimit out;
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) {
        out.error = std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
        return out;
    }
    rlim_t target = r.rlim_max;
    if (target == RLIM_INFINITY) {  // setrlimit refuses more than fs.nr_open
        uint64_t nr_open = 1048576;
        std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
        target = static_cast<rlim_t>(nr_open);
    }
    if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < target) {
        const rlim_t before = r.rlim_cur;
        r.rlim_cur = target;
        if (::setrlimit(RLIMIT_NOFILE, &r) != 0) {
            out.error = "cannot raise the open-file limit from " + std::to_string(before) + " to " +
                        std::to_string(target) + ": " + std::strerror(errno);
            r.rlim_cur = before;
        }
    }
    out.soft = r.rlim_cur;
    out.hard = r.rlim_max;
    return out;
}

}  // namespace autoarr::util
