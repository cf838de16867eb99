//! Retry policy for throttled and unavailable answers: `Retry-After` first, otherwise
//! exponential backoff with full jitter, inside a bounded budget of attempts and total wait.
//!
//! This module decides *how long* to wait; the callers ([`GraphClient`](crate::GraphClient),
//! the token source and `$batch`) decide *whether* an answer is retryable.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// How hard to retry throttled (429) and unavailable (503/504) answers and dropped connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts per request, the first one included. `1` disables retries.
    pub max_attempts: u32,
    /// Upper bound on the sum of all waits for one request.
    pub max_total_wait: Duration,
    /// First backoff ceiling when Graph sends no `Retry-After`.
    pub base_delay: Duration,
    /// Largest single backoff ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            max_total_wait: Duration::from_secs(120),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff ceiling before retry number `retry` (1-based): `base * 2^(retry-1)`, capped.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        self.base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay)
    }
}

/// Parses a `Retry-After` header value: delay-seconds (Graph's form, fractions tolerated) or an
/// HTTP date. Returns `None` for anything unparseable, so the caller falls back to backoff.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    parse_retry_after_at(value, SystemTime::now())
}

/// [`parse_retry_after`] with an explicit "now", for HTTP-date values.
pub fn parse_retry_after_at(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).ok())
            .flatten();
    }
    let date = OffsetDateTime::parse(value, &Rfc2822).ok()?;
    let now = OffsetDateTime::from(now);
    let delta = date - now;
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

/// Tracks one request's attempts and accumulated waiting against a [`RetryPolicy`].
#[derive(Debug)]
pub(crate) struct RetryBudget<'a> {
    policy: &'a RetryPolicy,
    attempts: u32,
    waited: Duration,
}

impl<'a> RetryBudget<'a> {
    pub(crate) fn new(policy: &'a RetryPolicy) -> Self {
        Self {
            policy,
            attempts: 0,
            waited: Duration::ZERO,
        }
    }

    /// Records that an attempt is being made.
    pub(crate) fn start_attempt(&mut self) {
        self.attempts += 1;
    }

    /// Attempts made so far.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How long to wait before the next attempt, or `None` when the budget is spent.
    /// A `Retry-After` from Graph is honoured exactly; otherwise full jitter is used.
    pub(crate) fn next_delay(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        if self.attempts >= self.policy.max_attempts {
            return None;
        }
        let delay = match retry_after {
            Some(delay) => delay,
            None => full_jitter(self.policy.backoff_ceiling(self.attempts)),
        };
        if self.waited.saturating_add(delay) > self.policy.max_total_wait {
            return None;
        }
        self.waited += delay;
        Some(delay)
    }
}

/// A uniformly random duration in `0..=ceiling` ("full jitter").
fn full_jitter(ceiling: Duration) -> Duration {
    let ceiling_micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(rand::random_range(0..=ceiling_micros))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::{RetryBudget, RetryPolicy, parse_retry_after, parse_retry_after_at};

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after("10"), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("-3"), None);
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after(""), None);
        assert_eq!(parse_retry_after("NaN"), None);
    }

    #[test]
    fn retry_after_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_767); // Sun, 06 Nov 1994 08:49:27 GMT
        assert_eq!(
            parse_retry_after_at("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after_at("Sun, 06 Nov 1994 08:49:17 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn backoff_ceiling_doubles_and_caps() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(500));
        assert_eq!(policy.backoff_ceiling(2), Duration::from_secs(1));
        assert_eq!(policy.backoff_ceiling(4), Duration::from_secs(4));
        assert_eq!(policy.backoff_ceiling(40), Duration::from_secs(30));
    }

    #[test]
    fn budget_bounds_attempts() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let mut budget = RetryBudget::new(&policy);
        budget.start_attempt();
        assert!(
            budget
                .next_delay(None)
                .is_some_and(|delay| delay <= Duration::from_millis(500))
        );
        budget.start_attempt();
        assert_eq!(
            budget.next_delay(Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        budget.start_attempt();
        assert_eq!(budget.next_delay(Some(Duration::from_secs(1))), None);
        assert_eq!(budget.attempts(), 3);
    }

    #[test]
    fn budget_bounds_total_wait() {
        let policy = RetryPolicy {
            max_total_wait: Duration::from_secs(15),
            ..RetryPolicy::default()
        };
        let mut budget = RetryBudget::new(&policy);
        budget.start_attempt();
        assert_eq!(
            budget.next_delay(Some(Duration::from_secs(10))),
            Some(Duration::from_secs(10))
        );
        budget.start_attempt();
        assert_eq!(budget.next_delay(Some(Duration::from_secs(10))), None);
    }

    #[test]
    fn never_retries() {
        let policy = RetryPolicy::never();
        let mut budget = RetryBudget::new(&policy);
        budget.start_attempt();
        assert_eq!(budget.next_delay(Some(Duration::ZERO)), None);
    }
}
