#include "util/strings.h"

#include <gtest/gtest.h>

namespace {

using autoarr::util::parse_int;
using autoarr::util::parse_number;

TEST(StringsTest, ParseIntTakesAWholeNumberAndNothingElse) {
    EXPECT_EQ(parse_int("42"), 42);
    EXPECT_EQ(parse_int("-7"), -7);
    for (const char* bad : {"", "4x", " 4", "4 ", "+4", "4.0", "abc", "99999999999999999999"})
        EXPECT_FALSE(parse_int(bad).has_value()) << bad;
}

TEST(StringsTest, ParseNumberTakesAFiniteNumberAndNothingElse) {
    EXPECT_EQ(parse_number("0.5"), 0.5);
    EXPECT_EQ(parse_number("30"), 30.0);
    EXPECT_EQ(parse_number("1e3"), 1000.0);
    for (const char* bad : {"", "5x", " 5", "inf", "nan", "1e999", "abc"})
        EXPECT_FALSE(parse_number(bad).has_value()) << bad;
}

}  // namespace
