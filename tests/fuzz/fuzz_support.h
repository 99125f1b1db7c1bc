// Shared by the libFuzzer targets (docs/fuzzing.md): in-repo data, quiet
// logs, the ways a network cuts a byte stream, and a check that fails loudly.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifndef AUTOARR_SOURCE_DIR
#error "AUTOARR_SOURCE_DIR must be defined"
#endif

namespace autoarr::fuzz {

// A property of the code under test that the input broke: reported like a
// crash, so libFuzzer keeps the input (crash-<sha1>) for the regression test.
#define FUZZ_CHECK(cond, what)                                                                 \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", what, __FILE__, __LINE__); \
            std::abort();                                                                      \
        }                                                                                      \
    } while (0)

// The finish reasons a provider may report (docs/payloads.md): ABI 1.0's
// three, and ABI 1.1's tool_calls and content_filter.
inline bool known_finish_reason(std::string_view r) {
    return r == "stop" || r == "length" || r == "error" || r == "tool_calls" || r == "content_filter";
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A file of this repository (the shipped rules, the sample stack), read once by a target.
inline std::string source_file(const std::string& relative) {
    std::ifstream in(std::string(AUTOARR_SOURCE_DIR) + "/" + relative, std::ios::binary);
    if (!in) throw std::runtime_error("fuzz: missing in-repo file " + relative);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::string source_path(const std::string& relative) {
    return std::string(AUTOARR_SOURCE_DIR) + "/" + relative;
}

// The ways a stream reaches a parser: whole, one byte per read, and in
// pieces of 1..17 bytes chosen from the input itself (so the same input
// always cuts the same way).
enum class Cut { whole, bytewise, pieces };
inline std::vector<std::string_view> cut(std::string_view bytes, Cut how) {
    std::vector<std::string_view> out;
    if (how == Cut::whole) {
        out.push_back(bytes);
        return out;
    }
    uint32_t state = 2166136261u;
    for (unsigned char c : bytes) state = (state ^ c) * 16777619u;
    for (std::size_t at = 0; at < bytes.size();) {
        std::size_t n = 1;
        if (how == Cut::pieces) {
            state = state * 1103515245u + 12345u;
            n = 1 + (state >> 16) % 17;
        }
        n = std::min(n, bytes.size() - at);
        out.push_back(bytes.substr(at, n));
        at += n;
    }
    return out;
}

}  // namespace autoarr::fuzz
