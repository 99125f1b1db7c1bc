#include "http/text_limits.h"

#include <algorithm>

namespace autoarr::http {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 when it
// is ill-formed (Unicode 15, table 3-7).
std::size_t sequence_length(std::string_view s) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c = b(0);
    if (c < 0x80) return 1;
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;  // no overlongs
        if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;  // no overlongs
        if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else
        return 0;
    if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (b(i) < 0x80 || b(i) > 0xBF) return 0;
    return n;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = sequence_length(text.substr(i));
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string valid_utf8(std::string_view text) {
    if (is_valid_utf8(text)) return std::string(text);
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = sequence_length(text.substr(i));
        if (n == 0) {
            out += kReplacement;
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string bounded_text(std::string_view text, std::size_t max_bytes) {
    // Only a prefix can survive: never copy or scan more than that.
    const std::size_t limit = std::min(text.size(), max_bytes);
    std::string out = valid_utf8(text.substr(0, limit));
    if (out.size() <= max_bytes && limit == text.size()) return out;
    // The text may itself be the start of something longer: say that it was cut, not by how much.
    const std::string_view note = "\xE2\x80\xA6 (cut)";
    const std::size_t keep = max_bytes > note.size() ? max_bytes - note.size() : 0;
    std::size_t cut = std::min(keep, out.size());
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // a character boundary
    out.resize(cut);
    out += note;
    return out;
}

}  // namespace autoarr::http
