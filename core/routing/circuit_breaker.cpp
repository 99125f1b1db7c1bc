#include "routing/circuit_breaker.h"

#include <algorithm>

namespace autoarr::routing {

bool CircuitBreaker::allow(TimePoint now) {
    if (state_ == State::open && now >= open_until_) {
        state_ = State::half_open;
        probe_in_flight_ = false;
        half_open_successes_ = 0;
    }
    switch (state_) {
        case State::closed:
            return true;
        case State::open:
            return false;
        case State::half_open:
            if (probe_in_flight_) return false;
            probe_in_flight_ = true;
            return true;
    }
    return false;
}

void CircuitBreaker::on_success() {
    failures_ = 0;
    if (state_ == State::half_open) {
        probe_in_flight_ = false;
        if (++half_open_successes_ < config_.successes_to_close) return;
    }
    state_ = State::closed;
    opens_ = 0;
}

void CircuitBreaker::on_failure(TimePoint now, std::chrono::milliseconds retry_after) {
    ++failures_;
    probe_in_flight_ = false;
    if (state_ == State::half_open || failures_ >= config_.failure_threshold) {
        auto backoff = config_.base_open * (1 << std::min(opens_, 16));
        auto open_for = std::max<std::chrono::milliseconds>(std::min(backoff, config_.max_open), retry_after);
        state_ = State::open;
        open_until_ = now + open_for;
        ++opens_;
    }
}

CircuitBreaker::State CircuitBreaker::state(TimePoint now) const {
    if (state_ == State::open && now >= open_until_) return State::half_open;
    return state_;
}

std::string_view breaker_state_name(CircuitBreaker::State s) {
    switch (s) {
        case CircuitBreaker::State::closed:
            return "closed";
        case CircuitBreaker::State::open:
            return "open";
        case CircuitBreaker::State::half_open:
            return "half-open";
    }
    return "?";
}

}  // namespace autoarr::routing
