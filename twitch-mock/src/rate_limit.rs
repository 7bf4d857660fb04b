//! Helix's rate limit: a token bucket of 800 points that refills 800 points per minute.
//!
//! Twitch keeps one bucket per client id for app tokens and one per client id and user for user
//! tokens; every Helix response reports the bucket in `Ratelimit-*` headers, and an empty bucket
//! answers 429. Clients are expected to back off from those headers, so the mock sends them on
//! every Helix response.

use std::collections::HashMap;
use std::time::SystemTime;

use axum::http::{HeaderMap, HeaderValue};

use crate::clock::unix_seconds;

/// Bucket size, and also the refill per minute.
pub(crate) const BUCKET_SIZE: u32 = 800;
/// Buckets count in fractions of a point so refill stays exact integer arithmetic:
/// with 60 000 units per point, 800 points a minute is exactly 800 units a millisecond.
const UNITS_PER_POINT: u64 = 60_000;
const CAPACITY_UNITS: u64 = BUCKET_SIZE as u64 * UNITS_PER_POINT;
const REFILL_UNITS_PER_MILLI: u64 = BUCKET_SIZE as u64 * UNITS_PER_POINT / 60_000;
const REFILL_UNITS_PER_SECOND: u64 = REFILL_UNITS_PER_MILLI * 1000;

/// Whose bucket a request draws from: the client, plus the user for user tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct BucketKey {
    pub(crate) client_id: String,
    pub(crate) user_login: Option<String>,
}

#[derive(Debug)]
struct Bucket {
    units: u64,
    updated: SystemTime,
}

/// All buckets, created full on first use.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    buckets: HashMap<BucketKey, Bucket>,
}

/// The outcome of drawing a point, and what the `Ratelimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateLimitStatus {
    /// False when the bucket was empty and the request must be answered 429.
    pub(crate) allowed: bool,
    pub(crate) remaining: u32,
    /// Unix seconds at which the bucket will be full again.
    pub(crate) reset: u64,
}

impl RateLimits {
    /// Refills the caller's bucket for the time passed, then takes one point if there is one.
    pub(crate) fn take_point(&mut self, key: BucketKey, now: SystemTime) -> RateLimitStatus {
        let bucket = self.buckets.entry(key).or_insert(Bucket { units: CAPACITY_UNITS, updated: now });
        let elapsed_millis = now.duration_since(bucket.updated).unwrap_or_default().as_millis();
        let refill = u64::try_from(elapsed_millis).unwrap_or(u64::MAX).saturating_mul(REFILL_UNITS_PER_MILLI);
        bucket.units = bucket.units.saturating_add(refill).min(CAPACITY_UNITS);
        bucket.updated = now;

        let allowed = bucket.units >= UNITS_PER_POINT;
        if allowed {
            bucket.units -= UNITS_PER_POINT;
        }
        let seconds_to_full = (CAPACITY_UNITS - bucket.units).div_ceil(REFILL_UNITS_PER_SECOND);
        RateLimitStatus {
            allowed,
            remaining: u32::try_from(bucket.units / UNITS_PER_POINT).unwrap_or(BUCKET_SIZE),
            reset: unix_seconds(now) + seconds_to_full,
        }
    }
}

impl RateLimitStatus {
    /// What the headers say for a request that drew from no bucket (it was rejected before the
    /// caller was known): a full bucket.
    pub(crate) fn untouched(now: SystemTime) -> Self {
        Self { allowed: true, remaining: BUCKET_SIZE, reset: unix_seconds(now) }
    }

    /// Sets `Ratelimit-Limit`, `Ratelimit-Remaining` and `Ratelimit-Reset`.
    pub(crate) fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert("ratelimit-limit", HeaderValue::from(BUCKET_SIZE));
        headers.insert("ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(self.reset));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn key() -> BucketKey {
        BucketKey { client_id: "client".into(), user_login: None }
    }

    #[test]
    fn a_bucket_allows_800_requests_then_refuses() {
        let mut limits = RateLimits::default();
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        for expected_remaining in (0..BUCKET_SIZE).rev() {
            let status = limits.take_point(key(), now);
            assert!(status.allowed);
            assert_eq!(status.remaining, expected_remaining);
        }
        let refused = limits.take_point(key(), now);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset, 1_000_000 + 60);
    }

    #[test]
    fn a_bucket_refills_800_points_per_minute() {
        let mut limits = RateLimits::default();
        let start = UNIX_EPOCH + Duration::from_secs(1_000_000);
        for _ in 0..BUCKET_SIZE {
            limits.take_point(key(), start);
        }
        let later = limits.take_point(key(), start + Duration::from_secs(3));
        assert!(later.allowed);
        assert_eq!(later.remaining, 39);
        let full = limits.take_point(key(), start + Duration::from_secs(600));
        assert_eq!(full.remaining, BUCKET_SIZE - 1);
    }

    #[test]
    fn users_of_one_client_have_separate_buckets() {
        let mut limits = RateLimits::default();
        let now = UNIX_EPOCH;
        let alice = BucketKey { client_id: "client".into(), user_login: Some("alice".into()) };
        for _ in 0..BUCKET_SIZE {
            limits.take_point(alice.clone(), now);
        }
        assert!(!limits.take_point(alice, now).allowed);
        assert!(limits.take_point(key(), now).allowed);
    }
}
