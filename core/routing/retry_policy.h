// The host's one retry layer (design §5): which failures are worth another
// attempt, and how long to wait before it.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "plugin/instance.h"

namespace autoarr::routing {

struct RetryPolicy {
    int max_retries = 2;  // attempts = max_retries + 1
    std::chrono::milliseconds base_delay{500};
    std::chrono::milliseconds max_delay{8000};
    std::chrono::milliseconds retry_after_cap{60000};

    // Backoff before retry number `retry` (0-based): the backend's
    // retry-after when it gave one (capped), else min(base * 2^retry, max)
    // scaled by a jitter factor in [0.75, 1].
    std::chrono::milliseconds delay(int retry, int64_t retry_after_ms, double jitter01) const;
};

// Worth retrying on the same provider: the plugin flagged it RETRYABLE.
bool is_retryable(const plugin::CallStatus& status);
// Worth trying the next provider: anything but the caller's own cancel or deadline.
bool allows_fallback(const plugin::CallStatus& status);

}  // namespace autoarr::routing
