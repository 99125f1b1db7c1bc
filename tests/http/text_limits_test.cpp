// The UTF-8 and size rules every error text goes through, against the
// Unicode standard's own cases (table 3-7 and the U+FFFD practice of 3.9).
#include "http/text_limits.h"

#include <gtest/gtest.h>

#include <vector>

namespace autoarr::http {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(TextLimitsTest, WellFormedUtf8IsKept) {
    for (const std::string& ok :
         std::vector<std::string>{"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
                                  "\xED\x9F\xBF", std::string("nul\0inside", 10)}) {
        EXPECT_TRUE(is_valid_utf8(ok)) << ok;
        EXPECT_EQ(valid_utf8(ok), ok);
    }
}

TEST(TextLimitsTest, EachIllFormedByteBecomesAReplacementCharacter) {
    EXPECT_EQ(valid_utf8("a\xFF"
                         "b"),
              "a" + kFffd + "b");
    EXPECT_EQ(valid_utf8("\xC0\xAF"), kFffd + kFffd);                          // overlong "/"
    EXPECT_EQ(valid_utf8("\xE0\x80\xAF"), kFffd + kFffd + kFffd);              // overlong, three bytes
    EXPECT_EQ(valid_utf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);              // a surrogate, U+D800
    EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
    EXPECT_EQ(valid_utf8("caf\xC3"), "caf" + kFffd);                           // cut inside a character
    EXPECT_EQ(valid_utf8("\xC3("), kFffd + "(");
    for (const char* bad : {"\x80", "\xC3", "\xF5\x80\x80\x80", "\xED\xBF\xBF"}) EXPECT_FALSE(is_valid_utf8(bad));
}

TEST(TextLimitsTest, BoundedTextCutsAtACharacterBoundaryAndSaysSo) {
    EXPECT_EQ(bounded_text("short", 64), "short");
    const std::string plain(3000, 'x');
    std::string many;
    for (int i = 0; i < 2000; ++i) many += "\xE2\x82\xAC";  // 6000 bytes of three-byte characters
    const std::string cut = bounded_text(many, 4096);
    EXPECT_LE(cut.size(), 4096u);
    EXPECT_TRUE(is_valid_utf8(cut));
    EXPECT_TRUE(cut.ends_with("\xE2\x80\xA6 (cut)"));
    EXPECT_EQ(bounded_text(plain + "\xFF", 8192), plain + kFffd);  // repaired, not cut
}

}  // namespace
}  // namespace autoarr::http
