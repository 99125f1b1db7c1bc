#include "util/utc_time.h"

#include <cstdio>
#include <ctime>

namespace autoarr::util {

std::string format_utc(std::chrono::system_clock::time_point tp, const char* format) {
    const std::time_t t = std::chrono::system_clock::to_time_t(tp);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
    return std::string(buf, n);
}

std::string utc_iso_millis(std::chrono::system_clock::time_point tp) {
    const auto ms_total = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
    const auto sec = std::chrono::system_clock::to_time_t(tp);
    // strftime and the calendar arithmetic cost more than the rest of a usage
    // row; a thread asks again within the same second most of the time.
    thread_local std::time_t cached_sec = -1;
    thread_local std::string cached_prefix;
    if (sec != cached_sec) {
        cached_prefix = format_utc(tp, "%Y-%m-%dT%H:%M:%S");
        cached_sec = sec;
    }
    int ms = static_cast<int>(ms_total % 1000);
    if (ms < 0) ms += 1000;
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03dZ", ms);
    return cached_prefix + frac;
}

}  // namespace autoarr::util
