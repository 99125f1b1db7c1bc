// A passive circuit breaker per provider: consecutive failures open it; after
// a backoff (or the backend's retry-after, if longer) one probe is let
// through (half-open); success closes it, failure reopens it for longer.
// Not thread-safe: the router guards it with the provider's mutex.
#pragma once

#include <chrono>
#include <string>

#include "routing/clock.h"

namespace autoarr::routing {

struct BreakerConfig {
    int failure_threshold = 3;
    std::chrono::milliseconds base_open{5000};
    std::chrono::milliseconds max_open{300000};
    int successes_to_close = 1;
};

class CircuitBreaker {
public:
    enum class State { closed, open, half_open };

    explicit CircuitBreaker(BreakerConfig config = {}) : config_(config) {}

    // May a request go to this provider now? In half-open, only one probe at a time.
    bool allow(TimePoint now);
    void on_success();
    void on_failure(TimePoint now, std::chrono::milliseconds retry_after = {});

    State state(TimePoint now) const;
    TimePoint open_until() const { return open_until_; }
    int consecutive_failures() const { return failures_; }

private:
    BreakerConfig config_;
    State state_ = State::closed;
    int failures_ = 0;
    int opens_ = 0;  // consecutive openings: the open time doubles each time
    int half_open_successes_ = 0;
    bool probe_in_flight_ = false;
    TimePoint open_until_{};
};

std::string_view breaker_state_name(CircuitBreaker::State s);

}  // namespace autoarr::routing
