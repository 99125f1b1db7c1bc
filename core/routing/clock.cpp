#include "routing/clock.h"

#include <thread>

namespace autoarr::routing {

bool SteadyClock::sleep_until(TimePoint t, plugin::CancelToken* token) {
    while (now() < t) {
        if (token && token->cancelled()) return false;
        auto step = std::min<Duration>(t - now(), std::chrono::milliseconds(10));
        std::this_thread::sleep_for(step);
    }
    return !(token && token->cancelled());
}

TimePoint VirtualClock::now() {
    std::lock_guard lock(mutex_);
    return now_;
}

bool VirtualClock::sleep_until(TimePoint t, plugin::CancelToken* token) {
    if (token && token->cancelled()) return false;
    std::lock_guard lock(mutex_);
    if (t > now_) now_ = t;
    return true;
}

void VirtualClock::advance(Duration d) {
    std::lock_guard lock(mutex_);
    now_ += d;
}

}  // namespace autoarr::routing
