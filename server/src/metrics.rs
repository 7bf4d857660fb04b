//! Operational metrics in Prometheus's text format, served at `/metrics`. Counters are plain atomics, so counting
//! costs nothing measurable on the webhook path; gauges that live in storage are read when scraped.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::rate_limit::doors::Door;

/// What became of one webhook request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    Stored,
    Duplicate,
    UnknownSubscription,
    /// A notification of a subscription Twitch revoked, still in flight: acknowledged, nothing stored.
    Revoked,
    Challenge,
    ChallengeRefused,
    Revocation,
    BadSignature,
    Stale,
    Malformed,
    StorageError,
    /// Not handled within WEBHOOK_DEADLINE_MS: answered 503 so Twitch sends it again.
    Deadline,
    Other,
}

impl WebhookOutcome {
    const ALL: [WebhookOutcome; 13] = [
        WebhookOutcome::Stored,
        WebhookOutcome::Duplicate,
        WebhookOutcome::UnknownSubscription,
        WebhookOutcome::Revoked,
        WebhookOutcome::Challenge,
        WebhookOutcome::ChallengeRefused,
        WebhookOutcome::Revocation,
        WebhookOutcome::BadSignature,
        WebhookOutcome::Stale,
        WebhookOutcome::Malformed,
        WebhookOutcome::StorageError,
        WebhookOutcome::Deadline,
        WebhookOutcome::Other,
    ];

    fn label(self) -> &'static str {
        match self {
            WebhookOutcome::Stored => "stored",
            WebhookOutcome::Duplicate => "duplicate",
            WebhookOutcome::UnknownSubscription => "unknown_subscription",
            WebhookOutcome::Revoked => "revoked",
            WebhookOutcome::Challenge => "challenge",
            WebhookOutcome::ChallengeRefused => "challenge_refused",
            WebhookOutcome::Revocation => "revocation",
            WebhookOutcome::BadSignature => "bad_signature",
            WebhookOutcome::Stale => "stale",
            WebhookOutcome::Malformed => "malformed",
            WebhookOutcome::StorageError => "storage_error",
            WebhookOutcome::Deadline => "deadline",
            WebhookOutcome::Other => "other",
        }
    }
}

/// The background loops, for counting their failed passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackgroundLoop {
    Reconcile,
    TokenValidation,
}

impl BackgroundLoop {
    const ALL: [BackgroundLoop; 2] = [BackgroundLoop::Reconcile, BackgroundLoop::TokenValidation];

    pub fn label(self) -> &'static str {
        match self {
            BackgroundLoop::Reconcile => "reconcile",
            BackgroundLoop::TokenValidation => "token_validation",
        }
    }
}

/// Upper bounds (seconds) of the latency buckets (fan-out, webhook answers).
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(d.as_micros() as u64, Relaxed);
    }

    /// Writes the histogram as `name_bucket`, `name_sum` and `name_count` lines.
    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", bucket.load(Relaxed));
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_micros.load(Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

#[derive(Default)]
pub struct Metrics {
    webhooks: [AtomicU64; WebhookOutcome::ALL.len()],
    events_stored: AtomicU64,
    fanout: Histogram,
    webhook_time: Histogram,
    background_panics: [AtomicU64; BackgroundLoop::ALL.len()],
    rate_limited: [AtomicU64; Door::ALL.len()],
}

/// Values read from elsewhere when scraped.
#[derive(Default)]
pub struct Gauges {
    pub open_websockets: usize,
    /// Catch-ups answered from memory and from storage (see `bus::recent`).
    pub catchups: (u64, u64),
    /// Events the shared bus could not queue for the other instances (they resynced from storage instead).
    pub bus_dropped: u64,
    pub subscriptions_by_status: Vec<(String, i64)>,
    /// Calls to Twitch by endpoint and status.
    pub twitch_calls: Vec<twitch::stats::CallCount>,
    /// Helix's bucket size and points left, as last reported.
    pub twitch_rate_limit: Option<(i64, i64)>,
    /// `None` where the system does not say (off Linux): then the line is left out rather than shown as 0.
    pub resident_memory_bytes: Option<u64>,
    pub open_fds: Option<u64>,
}

impl Metrics {
    pub fn webhook(&self, outcome: WebhookOutcome) {
        let index = WebhookOutcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
        self.webhooks[index].fetch_add(1, Relaxed);
        if outcome == WebhookOutcome::Stored {
            self.events_stored.fetch_add(1, Relaxed);
        }
    }

    /// A pass of a background loop panicked; the loop itself goes on (see `supervise`).
    pub fn background_panicked(&self, which: BackgroundLoop) {
        let index = BackgroundLoop::ALL.iter().position(|l| *l == which).unwrap_or(0);
        self.background_panics[index].fetch_add(1, Relaxed);
    }

    /// A request refused with 429 at `door`.
    pub fn rate_limited(&self, door: Door) {
        self.rate_limited[door as usize].fetch_add(1, Relaxed);
    }

    pub fn fanout(&self, latency: Duration) {
        self.fanout.observe(latency);
    }

    /// How long sev took to answer one webhook: Twitch resends (and in the end revokes) when answers are slow.
    pub fn webhook_time(&self, took: Duration) {
        self.webhook_time.observe(took);
    }

    /// The exposition text.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP sev_background_panics_total Background passes that panicked, by loop.");
        let _ = writeln!(out, "# TYPE sev_background_panics_total counter");
        for (which, count) in BackgroundLoop::ALL.iter().zip(&self.background_panics) {
            let _ = writeln!(out, "sev_background_panics_total{{loop=\"{}\"}} {}", which.label(), count.load(Relaxed));
        }
        let _ = writeln!(out, "# HELP sev_webhooks_total EventSub webhook requests by outcome.");
        let _ = writeln!(out, "# TYPE sev_webhooks_total counter");
        for (outcome, count) in WebhookOutcome::ALL.iter().zip(&self.webhooks) {
            let _ = writeln!(out, "sev_webhooks_total{{outcome=\"{}\"}} {}", outcome.label(), count.load(Relaxed));
        }
        let _ = writeln!(out, "# HELP sev_rate_limited_total Requests refused with 429, by door.");
        let _ = writeln!(out, "# TYPE sev_rate_limited_total counter");
        for (door, count) in Door::ALL.iter().zip(&self.rate_limited) {
            let _ = writeln!(out, "sev_rate_limited_total{{door=\"{}\"}} {}", door.label(), count.load(Relaxed));
        }
        let _ = writeln!(out, "# HELP sev_events_stored_total Events stored.");
        let _ = writeln!(out, "# TYPE sev_events_stored_total counter");
        let _ = writeln!(out, "sev_events_stored_total {}", self.events_stored.load(Relaxed));
        self.fanout.render(&mut out, "sev_fanout_seconds", "From storing an event to writing it to a page's socket.");
        self.webhook_time.render(&mut out, "sev_webhook_seconds", "From receiving a webhook to answering it.");
        let _ = writeln!(out, "# HELP sev_open_websockets Live-feed sockets open on this instance.");
        let _ = writeln!(out, "# TYPE sev_open_websockets gauge");
        let _ = writeln!(out, "sev_open_websockets {}", gauges.open_websockets);
        let _ = writeln!(out, "# HELP sev_catchups_total Feed catch-ups, by where their events were read.");
        let _ = writeln!(out, "# TYPE sev_catchups_total counter");
        let _ = writeln!(out, "sev_catchups_total{{source=\"memory\"}} {}", gauges.catchups.0);
        let _ = writeln!(out, "sev_catchups_total{{source=\"storage\"}} {}", gauges.catchups.1);
        let _ = writeln!(
            out,
            "# HELP sev_bus_dropped_total Events not queued for the shared bus because its queue was full."
        );
        let _ = writeln!(out, "# TYPE sev_bus_dropped_total counter");
        let _ = writeln!(out, "sev_bus_dropped_total {}", gauges.bus_dropped);
        let _ = writeln!(out, "# HELP sev_subscriptions EventSub subscriptions sev keeps, by status.");
        let _ = writeln!(out, "# TYPE sev_subscriptions gauge");
        for (status, n) in &gauges.subscriptions_by_status {
            let _ = writeln!(out, "sev_subscriptions{{status=\"{status}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP sev_twitch_api_calls_total Calls to Twitch by endpoint and HTTP status (0: no answer, or none that could be read)."
        );
        let _ = writeln!(out, "# TYPE sev_twitch_api_calls_total counter");
        for c in &gauges.twitch_calls {
            let _ = writeln!(
                out,
                "sev_twitch_api_calls_total{{endpoint=\"{}\",status=\"{}\"}} {}",
                c.endpoint, c.status, c.count
            );
        }
        if let Some((limit, remaining)) = gauges.twitch_rate_limit {
            let _ = writeln!(out, "# HELP sev_twitch_ratelimit_limit Helix points per minute (Ratelimit-Limit).");
            let _ = writeln!(out, "# TYPE sev_twitch_ratelimit_limit gauge");
            let _ = writeln!(out, "sev_twitch_ratelimit_limit {limit}");
            let _ = writeln!(
                out,
                "# HELP sev_twitch_ratelimit_remaining Helix points left this minute, as last reported (Ratelimit-Remaining)."
            );
            let _ = writeln!(out, "# TYPE sev_twitch_ratelimit_remaining gauge");
            let _ = writeln!(out, "sev_twitch_ratelimit_remaining {remaining}");
        }
        // The standard process metric names, so dashboards built for other Prometheus exporters work as they are.
        if let Some(bytes) = gauges.resident_memory_bytes {
            let _ = writeln!(out, "# HELP process_resident_memory_bytes Resident memory size in bytes.");
            let _ = writeln!(out, "# TYPE process_resident_memory_bytes gauge");
            let _ = writeln!(out, "process_resident_memory_bytes {bytes}");
        }
        if let Some(fds) = gauges.open_fds {
            let _ = writeln!(out, "# HELP process_open_fds Number of open file descriptors.");
            let _ = writeln!(out, "# TYPE process_open_fds gauge");
            let _ = writeln!(out, "process_open_fds {fds}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_the_histogram_render_in_prometheus_format() {
        let m = Metrics::default();
        m.webhook(WebhookOutcome::Stored);
        m.webhook(WebhookOutcome::Stored);
        m.webhook(WebhookOutcome::BadSignature);
        m.fanout(Duration::from_millis(3));
        m.fanout(Duration::from_millis(200));
        m.webhook_time(Duration::from_micros(800));
        m.rate_limited(Door::SignIn);
        let text = m.render(&Gauges {
            open_websockets: 4,
            catchups: (7, 2),
            bus_dropped: 0,
            subscriptions_by_status: vec![("enabled".into(), 5)],
            twitch_calls: vec![twitch::stats::CallCount { endpoint: "helix_users", status: 200, count: 3 }],
            twitch_rate_limit: Some((800, 790)),
            resident_memory_bytes: Some(123_456),
            open_fds: None,
        });
        assert!(text.contains("sev_webhooks_total{outcome=\"stored\"} 2"), "{text}");
        assert!(text.contains("sev_webhooks_total{outcome=\"bad_signature\"} 1"));
        assert!(text.contains("sev_events_stored_total 2"));
        assert!(text.contains("sev_rate_limited_total{door=\"sign_in\"} 1"), "{text}");
        assert!(text.contains("sev_rate_limited_total{door=\"page\"} 0"), "{text}");
        assert!(text.contains("sev_fanout_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("sev_fanout_seconds_bucket{le=\"0.25\"} 2"));
        assert!(text.contains("sev_fanout_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(text.contains("sev_webhook_seconds_bucket{le=\"0.001\"} 1"), "{text}");
        assert!(text.contains("sev_webhook_seconds_count 1"));
        assert!(text.contains("sev_open_websockets 4"));
        assert!(text.contains("sev_catchups_total{source=\"memory\"} 7"), "{text}");
        assert!(text.contains("sev_catchups_total{source=\"storage\"} 2"), "{text}");
        assert!(text.contains("sev_subscriptions{status=\"enabled\"} 5"));
        assert!(text.contains("sev_twitch_api_calls_total{endpoint=\"helix_users\",status=\"200\"} 3"), "{text}");
        assert!(text.contains("sev_twitch_ratelimit_limit 800"));
        assert!(text.contains("sev_twitch_ratelimit_remaining 790"));
        assert!(text.contains("\nprocess_resident_memory_bytes 123456\n"));
        assert!(!text.contains("process_open_fds"), "an unknown gauge is left out, not shown as 0");
    }
}
