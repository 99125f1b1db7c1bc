// Time for the router: a real monotonic clock, or a virtual one in tests so
// that "wait 7 s for Retry-After" is checked without waiting 7 s.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "plugin/host_services.h"

namespace autoarr::routing {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() = 0;
    // Sleeps until t; returns false early when the token is cancelled.
    virtual bool sleep_until(TimePoint t, plugin::CancelToken* token) = 0;
};

// steady_clock; sleeps poll the cancel token every 10 ms at most.
class SteadyClock final : public Clock {
public:
    TimePoint now() override { return std::chrono::steady_clock::now(); }
    bool sleep_until(TimePoint t, plugin::CancelToken* token) override;
};

// A clock that only moves when something sleeps on it (tests).
class VirtualClock final : public Clock {
public:
    TimePoint now() override;
    bool sleep_until(TimePoint t, plugin::CancelToken* token) override;
    void advance(Duration d);

private:
    std::mutex mutex_;
    TimePoint now_{};
};

}  // namespace autoarr::routing
