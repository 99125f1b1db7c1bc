// Active health checks: every provider is checked on its own jittered
// interval (so checks never synchronise), each check bounded by the router's
// health deadline. A provider found unhealthy is checked again sooner: after
// recheck_start, doubling with each failed check up to the interval, so one
// that was down when the host started is back within about a second of its
// return (docs/routing.md). Stops and joins its thread on destruction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "routing/router.h"

namespace autoarr::routing {

class HealthMonitor {
public:
    HealthMonitor(Router& router, std::chrono::milliseconds interval, double jitter = 0.2,
                  std::chrono::milliseconds recheck_start = std::chrono::seconds(1));
    ~HealthMonitor();
    HealthMonitor(const HealthMonitor&) = delete;
    HealthMonitor& operator=(const HealthMonitor&) = delete;

    int rounds() const;  // completed check rounds (for tests and metrics)

    // The wait before the next check of a provider whose last `failed_checks`
    // checks found it unhealthy: the interval when none did, else
    // recheck_start doubled per further failure, at most the interval.
    static std::chrono::milliseconds recheck_delay(int failed_checks, std::chrono::milliseconds recheck_start,
                                                   std::chrono::milliseconds interval);

private:
    void run();

    Router& router_;
    std::chrono::milliseconds interval_;
    double jitter_;
    std::chrono::milliseconds recheck_start_;
    mutable std::mutex mutex_;  // guards stop_ and rounds_
    std::condition_variable wake_;
    bool stop_ = false;
    int rounds_ = 0;
    std::thread thread_;
};

}  // namespace autoarr::routing
