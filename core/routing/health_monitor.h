// Active health checks: every provider is checked on its own jittered
// interval (so checks never synchronise), each check bounded by the router's
// health deadline. Stops and joins its thread on destruction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "routing/router.h"

namespace autoarr::routing {

class HealthMonitor {
public:
    HealthMonitor(Router& router, std::chrono::milliseconds interval, double jitter = 0.2);
    ~HealthMonitor();
    HealthMonitor(const HealthMonitor&) = delete;
    HealthMonitor& operator=(const HealthMonitor&) = delete;

    int rounds() const;  // completed check rounds (for tests and metrics)

private:
    void run();

    Router& router_;
    std::chrono::milliseconds interval_;
    double jitter_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    int rounds_ = 0;
    std::thread thread_;
};

}  // namespace autoarr::routing
