#include "util/utc_time.h"

#include <gtest/gtest.h>

using namespace std::chrono;

namespace {

system_clock::time_point at(long long epoch_ms) {
    return system_clock::time_point(milliseconds(epoch_ms));
}

TEST(UtcTimeTest, IsoWithMillisecondsMatchesSqlitesForm) {
    // 2026-11-26T14:48:31.123Z
    EXPECT_EQ(autoarr::util::utc_iso_millis(at(1795704511123)), "2026-11-26T14:48:31.123Z");
    EXPECT_EQ(autoarr::util::utc_iso_millis(at(1795704511007)), "2026-11-26T14:48:31.007Z");  // same second, cached
    EXPECT_EQ(autoarr::util::utc_iso_millis(at(1795704512000)), "2026-11-26T14:48:32.000Z");  // the next one
    EXPECT_EQ(autoarr::util::utc_iso_millis(at(0)), "1970-01-01T00:00:00.000Z");
}

TEST(UtcTimeTest, FormatUtc) {
    EXPECT_EQ(autoarr::util::format_utc(at(1795704511123), "%Y%m%dT%H%M%SZ"), "20261126T144831Z");
}

}  // namespace
