#include <gtest/gtest.h>

#include "routing/circuit_breaker.h"
#include "routing/retry_policy.h"

namespace autoarr::routing {
namespace {

using namespace std::chrono_literals;

TEST(BreakerTest, OpensAfterThresholdHalfOpensAfterBackoffAndCloses) {
    CircuitBreaker b(BreakerConfig{3, 5000ms, 300000ms, 2});
    TimePoint t{};
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(b.allow(t));
        b.on_failure(t);
    }
    EXPECT_EQ(b.state(t), CircuitBreaker::State::open);
    EXPECT_FALSE(b.allow(t + 4999ms));
    // Half-open: exactly one probe at a time.
    EXPECT_TRUE(b.allow(t + 5000ms));
    EXPECT_FALSE(b.allow(t + 5000ms));
    b.on_success();
    EXPECT_EQ(b.state(t + 5000ms), CircuitBreaker::State::half_open);  // needs 2 successes
    EXPECT_TRUE(b.allow(t + 5001ms));
    b.on_success();
    EXPECT_EQ(b.state(t + 5001ms), CircuitBreaker::State::closed);
}

TEST(BreakerTest, FailedProbeReopensForLongerAndRetryAfterWins) {
    CircuitBreaker b(BreakerConfig{1, 1000ms, 300000ms, 1});
    TimePoint t{};
    b.on_failure(t);
    EXPECT_EQ(b.open_until(), t + 1000ms);
    ASSERT_TRUE(b.allow(t + 1000ms));
    b.on_failure(t + 1000ms);
    EXPECT_EQ(b.open_until(), t + 3000ms);  // doubled
    ASSERT_TRUE(b.allow(t + 3000ms));
    b.on_failure(t + 3000ms, 30000ms);  // the backend asked for 30 s
    EXPECT_EQ(b.open_until(), t + 33000ms);
}

TEST(RetryPolicyTest, BackoffAndRetryAfter) {
    RetryPolicy p;
    EXPECT_EQ(p.delay(0, -1, 0.0), 500ms);
    EXPECT_EQ(p.delay(0, -1, 1.0), 375ms);
    EXPECT_EQ(p.delay(1, -1, 0.0), 1000ms);
    EXPECT_EQ(p.delay(10, -1, 0.0), 8000ms);
    EXPECT_EQ(p.delay(0, 12000, 0.5), 12000ms);
    EXPECT_EQ(p.delay(0, 90000, 0.5), 60000ms);
}

TEST(RetryPolicyTest, OnlyFlaggedErrorsAreRetried) {
    plugin::CallStatus s{AUTOARR_ERR_BACKEND_ERROR, 529, -1, 0, "overloaded"};
    EXPECT_FALSE(is_retryable(s));  // e.g. x-should-retry: false
    s.flags = AUTOARR_ERROR_FLAG_RETRYABLE;
    EXPECT_TRUE(is_retryable(s));
    EXPECT_TRUE(allows_fallback(s));
    s.code = AUTOARR_ERR_CANCELLED;
    EXPECT_FALSE(allows_fallback(s));
}

}  // namespace
}  // namespace autoarr::routing
