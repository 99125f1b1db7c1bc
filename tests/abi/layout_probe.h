/* Shared by the two compilations of layout_probe.c and by the test. */
#ifndef AUTOARR_TEST_LAYOUT_PROBE_H
#define AUTOARR_TEST_LAYOUT_PROBE_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef struct {
    const char* name;
    size_t size;
    size_t offset; /* (size_t)-1 for a whole-struct entry */
} layout_entry;
typedef struct {
    const char* name;
    long long value;
} constant_entry;
const layout_entry* layout_frozen_1_0(size_t* count);
const layout_entry* layout_frozen_1_1(size_t* count);
const layout_entry* layout_current(size_t* count);
const constant_entry* constants_frozen_1_0(size_t* count);
const constant_entry* constants_frozen_1_1(size_t* count);
const constant_entry* constants_current(size_t* count);
#ifdef __cplusplus
}
#endif
#endif
