// Limits on text that comes from an upstream or a plugin and ends up in a
// JSON body, a log line or the store: valid UTF-8, bounded in size. Shared
// by the first-party plugins and the host (both link this library), so an
// error text is treated the same on either side of the ABI.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace autoarr::http {

// The most bytes of error text a plugin or an upstream can put into a response.
inline constexpr std::size_t kMaxErrorText = 4 * 1024;
// The most bytes of an upstream's error body a plugin reads (the rest is not read).
inline constexpr std::size_t kMaxErrorBody = 64 * 1024;

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` with every ill-formed UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

// valid_utf8(text), cut at a character boundary so that the result, with the
// note "… (cut)" when it was cut, is at most max_bytes long.
std::string bounded_text(std::string_view text, std::size_t max_bytes = kMaxErrorText);

}  // namespace autoarr::http
