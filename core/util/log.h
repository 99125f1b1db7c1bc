// One-line structured logging to stderr, safe from any thread (plugins log
// through host services on their own threads).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace autoarr::log {

enum class Level : int { trace = 0, debug = 1, info = 2, warn = 3, error = 4, off = 5 };

// Minimum level written; from AUTOARR_LOG_LEVEL (trace|debug|info|warn|error|off), default info.
Level threshold();
void set_threshold(Level level);
bool enabled(Level level);

// Writes "<UTC time> <level> <component>: <message>" as one line.
void write(Level level, std::string_view component, std::string_view message);

// Replaces the output (tests capture lines); nullptr restores stderr.
using Sink = std::function<void(Level, std::string_view component, std::string_view message)>;
void set_sink(Sink sink);

std::string_view level_name(Level level);
bool parse_level(std::string_view text, Level& out);

inline void info(std::string_view component, std::string_view msg) {
    write(Level::info, component, msg);
}
inline void warn(std::string_view component, std::string_view msg) {
    write(Level::warn, component, msg);
}
inline void error(std::string_view component, std::string_view msg) {
    write(Level::error, component, msg);
}
inline void debug(std::string_view component, std::string_view msg) {
    write(Level::debug, component, msg);
}

}  // namespace autoarr::log
