#include "routing/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace autoarr::routing {

std::chrono::milliseconds RetryPolicy::delay(int retry, int64_t retry_after_ms, double jitter01) const {
    if (retry_after_ms > 0) return std::min(std::chrono::milliseconds(retry_after_ms), retry_after_cap);
    double base = static_cast<double>(base_delay.count()) * std::pow(2.0, std::max(0, retry));
    double capped = std::min(base, static_cast<double>(max_delay.count()));
    double factor = 1.0 - 0.25 * std::clamp(jitter01, 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<int64_t>(capped * factor));
}

bool is_retryable(const plugin::CallStatus& s) {
    // The plugin knows its backend (e.g. Anthropic's x-should-retry header),
    // so it alone decides, with the RETRYABLE flag (ABI-13); codes carry no
    // retry meaning of their own.
    return !s.ok() && (s.flags & AUTOARR_ERROR_FLAG_RETRYABLE) != 0;
}

bool allows_fallback(const plugin::CallStatus& s) {
    return !s.ok() && s.code != AUTOARR_ERR_CANCELLED && s.code != AUTOARR_ERR_DEADLINE_EXCEEDED;
}

}  // namespace autoarr::routing
