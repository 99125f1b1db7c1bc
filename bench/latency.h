// Latency sampling shared by the protocol benchmarks: run a call N times on
// C threads, report requests/s and p50/p99.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

namespace autoarr::bench {

struct LatencyReport {
    double rps = 0;
    double p50_us = 0;
    double p99_us = 0;
};

// call() must return true on success; failures abort the report (rps = 0).
inline LatencyReport measure(int concurrency, int per_thread, const std::function<bool()>& call) {
    std::vector<std::vector<double>> samples(concurrency);
    std::atomic<bool> failed{false};
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t)
        threads.emplace_back([&, t] {
            samples[t].reserve(per_thread);
            for (int i = 0; i < per_thread && !failed; ++i) {
                auto s = std::chrono::steady_clock::now();
                if (!call()) failed = true;
                samples[t].push_back(
                    std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s).count());
            }
        });
    for (auto& th : threads) th.join();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::vector<double> all;
    for (auto& v : samples) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    LatencyReport r;
    if (failed || all.empty()) return r;
    r.rps = all.size() / secs;
    r.p50_us = all[all.size() / 2];
    r.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    return r;
}

inline void print(const char* name, int concurrency, const LatencyReport& r) {
    std::printf("%-44s c=%-3d %9.0f req/s   p50 %8.1f us   p99 %8.1f us\n", name, concurrency, r.rps, r.p50_us,
                r.p99_us);
}

}  // namespace autoarr::bench
