//! Per-sender rate limiting with token buckets. A sender that has no token answers
//! `Transient{code: "rate_limited_local", retry_after_seconds}` at once; nobody waits.
//!
//! Provider limits (see `shared/reference/providers.md` §5 and Twilio's rate-limit notes):
//! - WhatsApp Cloud API: 80 messages/s per business phone number by default (up to 1,000 when
//!   upgraded; coexistence numbers 20). Over it Meta answers 130429.
//! - Twilio long code: 1 message *segment* per second per number (US/CA toll-free: 3; short
//!   code: 30+). Twilio queues the excess for hours instead of refusing, so the limit here keeps
//!   that queue short rather than preventing errors. A message costs its segment count.
//!
//! [`RateLimiter`] holds the buckets of one process. Several dispatchers (Lambda containers)
//! each have their own, so across containers the limit must come from a shared store: the
//! bucket arithmetic is [`TokenBucket::take`], pure and serialisable, so a store-backed limiter
//! can keep the bucket in an item and update it with a conditional write.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A sustained rate and a burst size, both in tokens (messages, or SMS segments).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl RateLimit {
    /// WhatsApp Cloud API default throughput per phone number.
    pub const WHATSAPP_DEFAULT: RateLimit = RateLimit { per_second: 80.0, burst: 80.0 };
    /// Twilio long code: one segment per second.
    pub const TWILIO_LONG_CODE: RateLimit = RateLimit { per_second: 1.0, burst: 1.0 };

    /// `per_second` messages a second with a burst of one second's worth (at least 1).
    pub fn per_second(per_second: f64) -> RateLimit {
        let per_second = if per_second.is_finite() && per_second > 0.0 { per_second } else { 1.0 };
        RateLimit { per_second, burst: per_second.max(1.0) }
    }
}

/// The state of one bucket: tokens left at `updated_ms` (milliseconds on any monotonic or epoch
/// clock, as long as one bucket always uses the same one).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TokenBucket {
    pub tokens: f64,
    pub updated_ms: u64,
}

impl TokenBucket {
    pub fn full(limit: RateLimit, now_ms: u64) -> TokenBucket {
        TokenBucket { tokens: limit.burst, updated_ms: now_ms }
    }

    /// Take `cost` tokens at `now_ms`: `Ok(())`, or `Err(wait)` with how long until it would
    /// succeed (the bucket is then unchanged apart from refilling). A cost above the burst
    /// (a 5-segment SMS on a 1/s number) is allowed when the bucket is full and leaves it in
    /// debt, so the sustained rate still holds.
    pub fn take(&mut self, limit: RateLimit, now_ms: u64, cost: f64) -> Result<(), Duration> {
        let elapsed_ms = now_ms.saturating_sub(self.updated_ms);
        let refill = limit.per_second * (elapsed_ms as f64) / 1000.0;
        self.tokens = (self.tokens + refill).min(limit.burst);
        self.updated_ms = self.updated_ms.max(now_ms);
        let need = cost.min(limit.burst);
        if self.tokens + 1e-9 >= need {
            self.tokens -= cost;
            Ok(())
        } else {
            let missing = need - self.tokens;
            let secs = missing / limit.per_second.max(f64::MIN_POSITIVE);
            Err(Duration::from_secs_f64(secs.clamp(0.001, 86_400.0)))
        }
    }
}

/// In-process token buckets, one per sender key (WhatsApp phone number id, SMS sender).
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    origin: Instant,
    buckets: Mutex<HashMap<String, TokenBucket>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter { limit, origin: Instant::now(), buckets: Mutex::new(HashMap::new()) }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Take `cost` tokens for `sender` now.
    pub fn try_acquire(&self, sender: &str, cost: f64) -> Result<(), Duration> {
        self.try_acquire_at(sender, cost, Instant::now())
    }

    /// As [`try_acquire`](Self::try_acquire) at a given instant (tests).
    pub fn try_acquire_at(&self, sender: &str, cost: f64, now: Instant) -> Result<(), Duration> {
        let now_ms = u64::try_from(now.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX);
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(sender.to_string()).or_insert_with(|| TokenBucket::full(self.limit, now_ms));
        bucket.take(self.limit, now_ms, cost)
    }
}

/// Whole seconds to wait (at least 1) for a `Retry-After`-style hint.
pub(crate) fn wait_seconds(wait: Duration) -> u32 {
    let secs = wait.as_secs_f64().ceil();
    if secs < 1.0 {
        1
    } else if secs > f64::from(u32::MAX) {
        u32::MAX
    } else {
        secs as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill() {
        let limit = RateLimit { per_second: 2.0, burst: 2.0 };
        let mut b = TokenBucket::full(limit, 0);
        assert!(b.take(limit, 0, 1.0).is_ok());
        assert!(b.take(limit, 0, 1.0).is_ok());
        let wait = b.take(limit, 0, 1.0).err().unwrap_or_default();
        assert!((wait.as_millis() as i64 - 500).abs() <= 1, "{wait:?}");
        assert!(b.take(limit, 499, 1.0).is_err());
        assert!(b.take(limit, 500, 1.0).is_ok());
    }

    #[test]
    fn cost_above_burst_goes_into_debt() {
        let limit = RateLimit::TWILIO_LONG_CODE;
        let mut b = TokenBucket::full(limit, 0);
        assert!(b.take(limit, 0, 3.0).is_ok(), "a 3-segment SMS goes when the bucket is full");
        let wait = b.take(limit, 0, 1.0).err().unwrap_or_default();
        assert_eq!(wait.as_secs(), 3, "then the number rests for its segments");
        assert!(b.take(limit, 2_999, 1.0).is_err());
        assert!(b.take(limit, 3_000, 1.0).is_ok());
    }

    #[test]
    fn limiter_is_per_sender() {
        let rl = RateLimiter::new(RateLimit::TWILIO_LONG_CODE);
        let t0 = Instant::now();
        assert!(rl.try_acquire_at("+15550001111", 1.0, t0).is_ok());
        assert!(rl.try_acquire_at("+15550001111", 1.0, t0).is_err());
        assert!(rl.try_acquire_at("+15550002222", 1.0, t0).is_ok());
        assert!(rl.try_acquire_at("+15550001111", 1.0, t0 + Duration::from_millis(1000)).is_ok());
    }

    #[test]
    fn wait_rounds_up() {
        assert_eq!(wait_seconds(Duration::from_millis(1)), 1);
        assert_eq!(wait_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(wait_seconds(Duration::from_secs(3)), 3);
    }

    #[test]
    fn per_second_guards_bad_values() {
        assert_eq!(RateLimit::per_second(0.0).per_second, 1.0);
        assert_eq!(RateLimit::per_second(f64::NAN).per_second, 1.0);
        assert_eq!(RateLimit::per_second(0.5).burst, 1.0);
        assert_eq!(RateLimit::per_second(80.0).burst, 80.0);
    }
}
