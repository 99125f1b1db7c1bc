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

bool is_calendar_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    auto number = [&](std::size_t at, std::size_t n, int& out) {
        out = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (text[i] < '0' || text[i] > '9') return false;
            out = out * 10 + (text[i] - '0');
        }
        return true;
    };
    int y = 0, m = 0, d = 0;
    if (!number(0, 4, y) || !number(5, 2, m) || !number(8, 2, d)) return false;
    using namespace std::chrono;
    return year_month_day{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}}.ok();
}

}  // namespace autoarr::util
