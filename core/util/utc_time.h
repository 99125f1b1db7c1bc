// UTC timestamps as text, one implementation for logs, audits and usage rows.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace autoarr::util {

// `tp` formatted with strftime(3) `format` in UTC (e.g. "%Y-%m-%dT%H:%M:%SZ").
std::string format_utc(std::chrono::system_clock::time_point tp, const char* format);

// ISO 8601 with milliseconds, "2026-11-26T14:48:31.123Z": the form SQLite's
// strftime('%Y-%m-%dT%H:%M:%fZ') writes, so stored rows sort as text.
std::string utc_iso_millis(std::chrono::system_clock::time_point tp);

// Is `text` a calendar date written YYYY-MM-DD (2026-02-29 is not)?
bool is_calendar_date(std::string_view text);

}  // namespace autoarr::util
