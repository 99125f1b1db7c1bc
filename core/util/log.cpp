#include "util/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include "util/utc_time.h"

namespace autoarr::log {
namespace {

Level initial_threshold() {
    Level level = Level::info;
    if (const char* env = std::getenv("AUTOARR_LOG_LEVEL")) parse_level(env, level);
    return level;
}

std::atomic<int>& threshold_storage() {
    static std::atomic<int> t{static_cast<int>(initial_threshold())};
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

void write(Level level, std::string_view component, std::string_view message) {
    if (!enabled(level)) return;
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
