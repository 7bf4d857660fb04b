//! What the client has asked of Twitch: calls by endpoint and answer, and the Helix rate-limit headroom Twitch
//! last reported. Operators watch these to see the 800-points-a-minute budget before it runs out; the web app
//! renders them in its metrics. Plain counters, so recording costs nothing next to the HTTP call.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

/// The answer recorded for a call that got none (timeout, refused connection).
pub const NO_ANSWER: u16 = 0;

pub struct ApiStats {
    calls: Mutex<BTreeMap<(&'static str, u16), u64>>,
    limit: AtomicI64,
    remaining: AtomicI64,
}

impl Default for ApiStats {
    fn default() -> Self {
        ApiStats { calls: Mutex::new(BTreeMap::new()), limit: AtomicI64::new(-1), remaining: AtomicI64::new(-1) }
    }
}

/// One line of the call counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallCount {
    pub endpoint: &'static str,
    /// The HTTP status, or [`NO_ANSWER`].
    pub status: u16,
    pub count: u64,
}

impl ApiStats {
    /// Counts one call to `endpoint` answered with `status`.
    pub fn record(&self, endpoint: &'static str, status: u16) {
        if let Ok(mut calls) = self.calls.lock() {
            *calls.entry((endpoint, status)).or_default() += 1;
        }
    }

    /// Remembers the `Ratelimit-Limit` and `Ratelimit-Remaining` headers of a Helix answer, when present.
    pub fn record_rate_limit(&self, headers: &reqwest::header::HeaderMap) {
        let read = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
        if let (Some(limit), Some(remaining)) = (read("ratelimit-limit"), read("ratelimit-remaining")) {
            self.limit.store(limit, Relaxed);
            self.remaining.store(remaining, Relaxed);
        }
    }

    /// Every endpoint and status seen, with its count, in a stable order.
    pub fn calls(&self) -> Vec<CallCount> {
        let calls = self.calls.lock().map(|c| c.clone()).unwrap_or_default();
        calls.into_iter().map(|((endpoint, status), count)| CallCount { endpoint, status, count }).collect()
    }

    /// The bucket size and the points left in it, as Twitch last reported; `None` before any Helix answer.
    pub fn rate_limit(&self) -> Option<(i64, i64)> {
        let (limit, remaining) = (self.limit.load(Relaxed), self.remaining.load(Relaxed));
        (limit >= 0 && remaining >= 0).then_some((limit, remaining))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_endpoint_and_status_and_headroom_follows_the_headers() {
        let stats = ApiStats::default();
        assert_eq!(stats.rate_limit(), None);
        stats.record("helix_users", 200);
        stats.record("helix_users", 200);
        stats.record("helix_users", NO_ANSWER);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("ratelimit-limit", "800".parse().unwrap());
        headers.insert("ratelimit-remaining", "797".parse().unwrap());
        stats.record_rate_limit(&headers);
        assert_eq!(
            stats.calls(),
            vec![
                CallCount { endpoint: "helix_users", status: NO_ANSWER, count: 1 },
                CallCount { endpoint: "helix_users", status: 200, count: 2 },
            ]
        );
        assert_eq!(stats.rate_limit(), Some((800, 797)));
        stats.record_rate_limit(&reqwest::header::HeaderMap::new());
        assert_eq!(stats.rate_limit(), Some((800, 797)), "an answer without the headers changes nothing");
    }
}
