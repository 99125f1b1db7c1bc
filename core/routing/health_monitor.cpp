#include "routing/health_monitor.h"

#include <algorithm>
#include <map>
#include <random>

namespace autoarr::routing {

HealthMonitor::HealthMonitor(Router& router, std::chrono::milliseconds interval, double jitter,
                             std::chrono::milliseconds recheck_start)
    : router_(router), interval_(interval), jitter_(jitter), recheck_start_(recheck_start), thread_([this] {
          run();
      }) {}

HealthMonitor::~HealthMonitor() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

int HealthMonitor::rounds() const {
    std::lock_guard lock(mutex_);
    return rounds_;
}

std::chrono::milliseconds HealthMonitor::recheck_delay(int failed_checks, std::chrono::milliseconds recheck_start,
                                                       std::chrono::milliseconds interval) {
    if (failed_checks <= 0) return interval;
    auto wait = std::min(recheck_start, interval);
    for (int i = 1; i < failed_checks && wait < interval; ++i) wait *= 2;
    return std::min(wait, interval);
}

void HealthMonitor::run() {
    std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> spread(1.0 - jitter_, 1.0 + jitter_);
    using Steady = std::chrono::steady_clock;
    struct Schedule {
        Steady::time_point due = Steady::now();  // check everything at start
        int failed_checks = 0;                   // consecutive checks that found it unhealthy
    };
    std::map<std::string, Schedule> due;
    for (const auto& id : router_.provider_ids()) due[id] = {};
    auto unhealthy = [this](const std::string& id) {
        for (const auto& v : router_.providers())
            if (v.id == id) return v.state == ProviderState::unhealthy;
        return false;
    };

    std::unique_lock lock(mutex_);
    if (due.empty()) {  // nothing to check: just wait to be stopped
        wake_.wait(lock, [this] { return stop_; });
        return;
    }
    while (!stop_) {
        auto next = Steady::time_point::max();
        for (const auto& [id, s] : due) next = std::min(next, s.due);
        if (wake_.wait_until(lock, next, [this] { return stop_; })) break;
        for (auto& [id, s] : due) {
            if (Steady::now() < s.due || stop_) continue;
            lock.unlock();
            router_.check_health(id);
            s.failed_checks = unhealthy(id) ? s.failed_checks + 1 : 0;
            lock.lock();
            s.due = Steady::now() + std::chrono::duration_cast<Steady::duration>(
                                        recheck_delay(s.failed_checks, recheck_start_, interval_) * spread(rng));
        }
        ++rounds_;
    }
}

}  // namespace autoarr::routing
