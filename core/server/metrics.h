// Prometheus metrics: request counts by route and status, latency
// histograms, provider attempts and outcomes, tokens. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace autoarr::server {

class Metrics {
public:
    void request(const std::string& route, int status, double seconds);
    void attempt(const std::string& provider, const std::string& outcome);
    void tokens(const std::string& provider, const std::string& kind, long long n);
    void provider_state(const std::string& provider, const std::string& state);
    std::string render() const;  // Prometheus text exposition format

    // One counter family with a single label, in the same format, for
    // counters kept elsewhere (the store's usage rows).
    static std::string counter_family(std::string_view name, std::string_view help, std::string_view label,
                                      const std::vector<std::pair<std::string, unsigned long long>>& values);

private:
    static const std::vector<double>& buckets();
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, int>, long long> requests_;
    std::map<std::string, std::vector<long long>> histogram_;  // route -> bucket counts (+Inf last)
    std::map<std::string, double> latency_sum_;
    std::map<std::pair<std::string, std::string>, long long> attempts_;
    std::map<std::pair<std::string, std::string>, long long> tokens_;
    std::map<std::string, std::string> states_;
};

}  // namespace autoarr::server
