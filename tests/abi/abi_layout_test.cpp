// ABI-2: every field of the frozen 1.0 structs keeps its size and offset in
// the current header; structs never shrink; constants never change value.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "layout_probe.h"

namespace {

TEST(AbiLayout, EveryFrozenFieldKeepsItsSizeAndOffset) {
    size_t n_old = 0, n_new = 0;
    const layout_entry* old_entries = layout_frozen_1_0(&n_old);
    const layout_entry* new_entries = layout_current(&n_new);
    ASSERT_GT(n_old, 50u);
    std::map<std::string, layout_entry> current;
    for (size_t i = 0; i < n_new; ++i) current[new_entries[i].name] = new_entries[i];
    for (size_t i = 0; i < n_old; ++i) {
        const layout_entry& o = old_entries[i];
        auto it = current.find(o.name);
        ASSERT_NE(it, current.end()) << o.name << " is missing from the current header";
        if (o.offset == static_cast<size_t>(-1)) {
            EXPECT_GE(it->second.size, o.size) << o.name << " shrank";
        } else {
            EXPECT_EQ(it->second.offset, o.offset) << o.name << " moved";
            EXPECT_EQ(it->second.size, o.size) << o.name << " changed size";
        }
    }
}

TEST(AbiLayout, EveryFrozenConstantKeepsItsValue) {
    size_t n_old = 0, n_new = 0;
    const constant_entry* old_c = constants_frozen_1_0(&n_old);
    const constant_entry* new_c = constants_current(&n_new);
    ASSERT_EQ(n_old, n_new);
    for (size_t i = 0; i < n_old; ++i) {
        EXPECT_STREQ(old_c[i].name, new_c[i].name);
        EXPECT_EQ(old_c[i].value, new_c[i].value) << old_c[i].name << " was renumbered";
    }
}

}  // namespace
