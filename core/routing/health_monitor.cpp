#include "routing/health_monitor.h"

#include <map>
#include <random>

namespace autoarr::routing {

HealthMonitor::HealthMonitor(Router& router, std::chrono::milliseconds interval, double jitter)
    : router_(router), interval_(interval), jitter_(jitter), thread_([this] { run(); }) {}

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

void HealthMonitor::run() {
    std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> spread(1.0 - jitter_, 1.0 + jitter_);
    using Steady = std::chrono::steady_clock;
    std::map<std::string, Steady::time_point> due;
    for (const auto& id : router_.provider_ids()) due[id] = Steady::now();  // check everything at start

    std::unique_lock lock(mutex_);
    if (due.empty()) {  // nothing to check: just wait to be stopped
        wake_.wait(lock, [this] { return stop_; });
        return;
    }
    while (!stop_) {
        auto next = Steady::time_point::max();
        for (const auto& [id, t] : due) next = std::min(next, t);
        if (wake_.wait_until(lock, next, [this] { return stop_; })) break;
        for (auto& [id, t] : due) {
            if (Steady::now() < t || stop_) continue;
            lock.unlock();
            router_.check_health(id);
            lock.lock();
            t = Steady::now() + std::chrono::duration_cast<Steady::duration>(interval_ * spread(rng));
        }
        ++rounds_;
    }
}

}  // namespace autoarr::routing
