#include "util/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "http/text_limits.h"
#include "util/utc_time.h"

namespace autoarr::log {
namespace {

// info until the command sets it (AUTOARR_LOG_LEVEL and --log-level, app/main.cpp).
std::atomic<int>& threshold_storage() {
    static std::atomic<int> t{static_cast<int>(Level::info)};
    return t;
}

std::mutex& sink_mutex() {
    static std::mutex m;
    return m;
}

Sink& sink_storage() {
    static Sink s;
    return s;
}

// One line stays one line: a newline, a carriage return or a terminal escape
// in a message (a plugin's, an upstream's) is written as an escape, so no
// text can forge a log line or drive the terminal. Ill-formed UTF-8 becomes U+FFFD.
std::string escape_controls(std::string_view text) {
    const std::string utf8 = http::valid_utf8(text);
    std::string out;
    out.reserve(utf8.size());
    char hex[8];
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F) {
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else if (c == 0xC2 && i + 1 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) < 0xA0) {
            // U+0080..U+009F, the C1 controls (0x9B is a one-byte CSI to some terminals).
            std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned char>(utf8[++i]));
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace

Level threshold() {
    return static_cast<Level>(threshold_storage().load(std::memory_order_relaxed));
}
void set_threshold(Level level) {
    threshold_storage().store(static_cast<int>(level));
}
bool enabled(Level level) {
    return level != Level::off && level >= threshold();
}

std::string_view level_name(Level level) {
    switch (level) {
        case Level::trace:
            return "trace";
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warn";
        case Level::error:
            return "error";
        case Level::off:
            return "off";
    }
    return "?";
}

bool parse_level(std::string_view text, Level& out) {
    for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::off}) {
        if (text == level_name(l)) {
            out = l;
            return true;
        }
    }
    return false;
}

void set_sink(Sink sink) {
    std::lock_guard lock(sink_mutex());
    sink_storage() = std::move(sink);
}

void write(Level level, std::string_view component_text, std::string_view message_text) {
    if (!enabled(level)) return;
    const std::string component = escape_controls(component_text), message = escape_controls(message_text);
    std::lock_guard lock(sink_mutex());
    if (sink_storage()) {
        sink_storage()(level, component, message);
        return;
    }
    const std::string stamp = util::format_utc(std::chrono::system_clock::now(), "%Y-%m-%dT%H:%M:%SZ");
    std::fprintf(stderr, "%s %-5.*s %.*s: %.*s\n", stamp.c_str(), static_cast<int>(level_name(level).size()),
                 level_name(level).data(), static_cast<int>(component.size()), component.data(),
                 static_cast<int>(message.size()), message.data());
}

}  // namespace autoarr::log
