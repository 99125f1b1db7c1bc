#include "server/metrics.h"

#include <sstream>

namespace autoarr::server {

const std::vector<double>& Metrics::buckets() {
    static const std::vector<double> b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                          0.25,   0.5,   1,      2.5,   5,    10,    30,   60};
    return b;
}

void Metrics::request(const std::string& route, int status, double seconds) {
    std::lock_guard lock(mutex_);
    ++requests_[{route, status}];
    auto& h = histogram_[route];
    if (h.empty()) h.assign(buckets().size() + 1, 0);
    for (std::size_t i = 0; i < buckets().size(); ++i)
        if (seconds <= buckets()[i]) ++h[i];
    ++h.back();
    latency_sum_[route] += seconds;
}

void Metrics::attempt(const std::string& provider, const std::string& outcome) {
    std::lock_guard lock(mutex_);
    ++attempts_[{provider, outcome}];
}

void Metrics::tokens(const std::string& provider, const std::string& kind, long long n) {
    std::lock_guard lock(mutex_);
    tokens_[{provider, kind}] += n;
}

void Metrics::provider_state(const std::string& provider, const std::string& state) {
    std::lock_guard lock(mutex_);
    states_[provider] = state;
}

namespace {

void family_header(std::ostream& o, std::string_view name, std::string_view help, std::string_view type) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

// A counter family keyed by two labels: {first="k.first",second="k.second"} n.
template <class Map>
void counter_by_pair(std::ostream& o, std::string_view name, std::string_view help, std::string_view first,
                     std::string_view second, const Map& counts) {
    family_header(o, name, help, "counter");
    for (const auto& [k, n] : counts)
        o << name << '{' << first << "=\"" << k.first << "\"," << second << "=\"" << k.second << "\"} " << n << '\n';
}

}  // namespace

std::string Metrics::counter_family(std::string_view name, std::string_view help, std::string_view label,
                                    const std::vector<std::pair<std::string, unsigned long long>>& values) {
    std::ostringstream o;
    family_header(o, name, help, "counter");
    for (const auto& [v, n] : values) o << name << '{' << label << "=\"" << v << "\"} " << n << '\n';
    return o.str();
}

std::string Metrics::render() const {
    std::lock_guard lock(mutex_);
    std::ostringstream o;
    counter_by_pair(o, "autoarr_http_requests_total", "HTTP requests by route and status.", "route", "status",
                    requests_);
    family_header(o, "autoarr_http_request_duration_seconds", "HTTP request latency.", "histogram");
    for (const auto& [route, h] : histogram_) {
        for (std::size_t i = 0; i < buckets().size(); ++i)
            o << "autoarr_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"" << buckets()[i]
              << "\"} " << h[i] << "\n";
        o << "autoarr_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} " << h.back() << "\n";
        o << "autoarr_http_request_duration_seconds_sum{route=\"" << route << "\"} " << latency_sum_.at(route) << "\n";
        o << "autoarr_http_request_duration_seconds_count{route=\"" << route << "\"} " << h.back() << "\n";
    }
    counter_by_pair(o, "autoarr_provider_attempts_total", "Provider attempts by outcome.", "provider", "outcome",
                    attempts_);
    counter_by_pair(o, "autoarr_provider_tokens_total", "Tokens by provider and kind.", "provider", "kind", tokens_);
    family_header(o, "autoarr_provider_up", "Provider state (1 healthy or degraded, 0 otherwise).", "gauge");
    for (const auto& [p, s] : states_)
        o << "autoarr_provider_up{provider=\"" << p << "\",state=\"" << s << "\"} "
          << (s == "healthy" || s == "degraded" ? 1 : 0) << "\n";
    return o.str();
}

}  // namespace autoarr::server
