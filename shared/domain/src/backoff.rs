//! Retry delays for transient send failures. Retries go back through the queue with a delay
//! (SQS `DelaySeconds`, at most 900 s); nothing here sleeps.
//!
//! Schedule: attempt `n` (1-based, the attempt that just failed) waits around
//! `BASE_DELAY_SECONDS * 2^(n-1)` ("equal jitter": half fixed, half random), capped at
//! [`MAX_DELAY_SECONDS`]. Nominal delays after attempts 1..5: 20, 40, 80, 160, 320 s (each between
//! half and the full value), so a message that keeps failing transiently falls back (or fails)
//! about 5 to 10 minutes after its first try. After [`MAX_ATTEMPTS`] attempts: `None`.
//!
//! A provider `Retry-After` is a floor: we never retry sooner than the provider asked.

/// Attempts in total (the first send included) before a transient failure is treated as final.
pub const MAX_ATTEMPTS: u32 = 6;
pub const BASE_DELAY_SECONDS: u32 = 20;
/// SQS maximum message delay.
pub const MAX_DELAY_SECONDS: u32 = 900;

/// Delay before the next attempt, or `None` when `attempt` attempts have been made and the
/// budget ([`MAX_ATTEMPTS`]) is spent. `attempt` counts attempts already made (1 after the first
/// failure; 0 is treated as 1). `retry_after`: the provider's `Retry-After`, if any.
/// `jitter_seed`: any per-message value (e.g. [`jitter_seed`] of the message id), so that retries
/// of many messages spread out while one message's schedule stays reproducible.
pub fn retry_delay_seconds(attempt: u32, retry_after: Option<u32>, jitter_seed: u64) -> Option<u32> {
    let attempt = attempt.max(1);
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    let exp = (attempt - 1).min(16);
    let nominal = BASE_DELAY_SECONDS.saturating_mul(1u32 << exp).min(MAX_DELAY_SECONDS);
    let half = nominal / 2;
    let jitter = (mix(jitter_seed ^ u64::from(attempt)) % (u64::from(nominal - half) + 1)) as u32;
    let backoff = (half + jitter).max(1);
    let delay = match retry_after {
        Some(ra) => backoff.max(ra),
        None => backoff,
    };
    Some(delay.min(MAX_DELAY_SECONDS))
}

/// A stable per-key seed (FNV-1a) for the jitter of one message's retries.
pub fn jitter_seed(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// splitmix64 finaliser: a cheap, well-spread hash for jitter.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_bounds() {
        for seed in 0..200u64 {
            for attempt in 1..MAX_ATTEMPTS {
                let nominal = BASE_DELAY_SECONDS * (1 << (attempt - 1));
                let d = retry_delay_seconds(attempt, None, seed).unwrap_or(0);
                assert!(d >= nominal / 2 && d <= nominal, "attempt {attempt} seed {seed}: {d}");
            }
        }
    }

    #[test]
    fn exhausted_after_max_attempts() {
        assert_eq!(retry_delay_seconds(MAX_ATTEMPTS, None, 1), None);
        assert_eq!(retry_delay_seconds(MAX_ATTEMPTS + 7, Some(3), 1), None);
        assert!(retry_delay_seconds(MAX_ATTEMPTS - 1, None, 1).is_some());
        assert_eq!(retry_delay_seconds(0, None, 9), retry_delay_seconds(1, None, 9));
    }

    #[test]
    fn retry_after_is_a_floor_and_capped_at_sqs_max() {
        assert_eq!(retry_delay_seconds(1, Some(120), 5), Some(120));
        assert_eq!(retry_delay_seconds(1, Some(5000), 5), Some(MAX_DELAY_SECONDS));
        let d = retry_delay_seconds(3, Some(1), 5).unwrap_or(0);
        assert!(d >= 40, "backoff still applies when Retry-After is small: {d}");
    }

    #[test]
    fn jitter_spreads_and_is_deterministic() {
        let a: Vec<_> = (0..50).map(|s| retry_delay_seconds(2, None, s)).collect();
        let b: Vec<_> = (0..50).map(|s| retry_delay_seconds(2, None, s)).collect();
        assert_eq!(a, b);
        let distinct: std::collections::BTreeSet<_> = a.iter().collect();
        assert!(distinct.len() > 5);
    }
}
