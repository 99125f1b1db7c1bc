// How long a server asks a client to wait before it tries again, as
// Anthropic's and OpenAI's APIs (and the servers that copy them) say it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace autoarr::http {

// retry-after-ms, else retry-after (seconds or an HTTP-date), honoured only
// when 0 < value <= max_seconds (60 s, as the official Python SDKs do);
// rounded up to whole milliseconds. now_epoch is the current Unix time.
std::optional<int64_t> retry_after_ms(const std::string* retry_after_ms_header, const std::string* retry_after_header,
                                      int64_t now_epoch, double max_seconds = 60);

}  // namespace autoarr::http
