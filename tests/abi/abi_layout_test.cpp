// ABI-2: every field of each frozen release's structs keeps its size and
// offset in the current header; structs never shrink; constants never change
// value. Each release is checked with its own field list (layout_probe.c).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "layout_probe.h"

namespace {

using LayoutFn = const layout_entry* (*)(size_t*);
using ConstantFn = const constant_entry* (*)(size_t*);

void expect_layout_kept(LayoutFn frozen, size_t at_least) {
    size_t n_old = 0, n_new = 0;
    const layout_entry* old_entries = frozen(&n_old);
    const layout_entry* new_entries = layout_current(&n_new);
    ASSERT_GT(n_old, at_least);
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

void expect_constants_kept(ConstantFn frozen) {
    size_t n_old = 0, n_new = 0;
    const constant_entry* old_c = frozen(&n_old);
    const constant_entry* new_c = constants_current(&n_new);
    ASSERT_LE(n_old, n_new);
    std::map<std::string, long long> current;
    for (size_t i = 0; i < n_new; ++i) current[new_c[i].name] = new_c[i].value;
    for (size_t i = 0; i < n_old; ++i) {
        auto it = current.find(old_c[i].name);
        ASSERT_NE(it, current.end()) << old_c[i].name << " is missing from the current header";
        EXPECT_EQ(it->second, old_c[i].value) << old_c[i].name << " was renumbered";
    }
}

TEST(AbiLayout, EveryFrozen10FieldKeepsItsSizeAndOffset) {
    expect_layout_kept(layout_frozen_1_0, 50u);
}

TEST(AbiLayout, EveryFrozen11FieldKeepsItsSizeAndOffset) {
    size_t n10 = 0, n11 = 0;
    layout_frozen_1_0(&n10);
    layout_frozen_1_1(&n11);
    EXPECT_GT(n11, n10) << "the 1.1 probe must list what 1.1 appended";
    expect_layout_kept(layout_frozen_1_1, 50u);
}

TEST(AbiLayout, EveryFrozenConstantKeepsItsValue) {
    expect_constants_kept(constants_frozen_1_0);
    expect_constants_kept(constants_frozen_1_1);
}

// 1.1 appended only: its new field lies after every 1.0 field of its struct.
TEST(AbiLayout, What11AddedWasAppended) {
    size_t n = 0;
    const layout_entry* e = layout_frozen_1_1(&n);
    size_t request_id_offset = 0, metric_offset = 0;
    for (size_t i = 0; i < n; ++i) {
        const std::string name = e[i].name;
        if (name == "autoarr_host_services.set_error_request_id") request_id_offset = e[i].offset;
        if (name == "autoarr_host_services.metric") metric_offset = e[i].offset;
    }
    EXPECT_GT(request_id_offset, metric_offset);
}

}  // namespace
