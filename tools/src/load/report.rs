//! The result of a run: throughput, delivery (lost and duplicated events), end-to-end latency, errors and memory
//! per connection, as a table for people and as JSON for scripts. Where a number points at a known cause (the
//! per-address socket cap, a wrong secret or origin, a saturated sender) a hint says which setting to change.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::Plan;
use super::clients::{Connection, Outcome, latency_histogram};
use super::ledger::Ledger;
use super::scrape::Sample;
use super::webhooks::Sent;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Nothing lost or duplicated, and no errors.
    pub ok: bool,
    pub plan: PlanSummary,
    pub webhooks: Webhooks,
    pub websockets: WebSockets,
    pub delivery: Delivery,
    /// `None` when no event arrived.
    pub latency_ms: Option<Latency>,
    /// `None` when no pages were asked for (`--page-rate 0`).
    #[serde(default)]
    pub pages: Option<PagesReport>,
    /// `None` unless asked for (`--storm`).
    #[serde(default)]
    pub storm: Option<super::storm::StormReport>,
    pub memory: Vec<Memory>,
    pub hints: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub targets: Vec<String>,
    pub clients: usize,
    pub streamers: usize,
    pub rate_per_sec: u32,
    pub duration_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhooks {
    pub sent: u64,
    /// Answered 2xx.
    pub accepted: u64,
    pub accepted_per_sec: f64,
    /// Answers other than 2xx, by status code.
    pub refused_by_status: BTreeMap<String, u64>,
    pub transport_errors: u64,
    pub first_transport_error: Option<String>,
    /// How far sending fell behind its schedule: more than a few milliseconds means the rate was not reached.
    pub max_lag_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebSockets {
    pub attempted: usize,
    pub opened: usize,
    /// Upgrades sev answered with an error status, by status code.
    pub refused_by_status: BTreeMap<String, u64>,
    pub failed: usize,
    pub first_failure: Option<String>,
    /// Closed by the server (or broken) before the run ended.
    pub closed_early: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Accepted events × the connected clients of their streamer.
    pub expected: u64,
    /// Expected events that arrived (once or more).
    pub delivered: u64,
    pub missing: u64,
    /// Extra arrivals of an event a client already had.
    pub duplicates: u64,
    /// Events not of this run for the client's streamer, or sent but not accepted.
    pub unexpected: u64,
    pub clients_missing_events: usize,
    pub clients_with_duplicates: usize,
    /// Events received over all clients, repeats included.
    pub frames: u64,
    /// Frames per second from the first webhook to the last frame.
    pub frames_per_sec: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub samples: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// Streamer pages rendered during the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PagesReport {
    pub requested: u64,
    pub ok: u64,
    pub ok_per_sec: f64,
    /// Answers other than 200, by status code.
    pub failed_by_status: BTreeMap<String, u64>,
    /// 200 answers that did not name the streamer.
    pub wrong: u64,
    pub transport_errors: u64,
    /// From the request to the page's last byte; `None` when no page rendered.
    pub latency_ms: Option<Latency>,
}

/// One target's memory before and after the clients connected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    pub target: String,
    /// Clients connected to this target.
    pub clients: usize,
    pub rss_before_bytes: Option<u64>,
    pub rss_after_bytes: Option<u64>,
    /// (after − before) / clients.
    pub bytes_per_client: Option<u64>,
    pub open_fds_before: Option<u64>,
    pub open_fds_after: Option<u64>,
}

fn ms(micros: u64) -> f64 {
    (micros as f64 / 10.0).round() / 100.0
}

fn per_sec(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 { (count as f64 / seconds * 10.0).round() / 10.0 } else { 0.0 }
}

fn by_status(counts: impl IntoIterator<Item = u16>) -> BTreeMap<String, u64> {
    let mut map = BTreeMap::new();
    for status in counts {
        *map.entry(status.to_string()).or_default() += 1;
    }
    map
}

/// Puts the run's numbers together.
pub fn build(
    plan: &Plan,
    ledger: &Ledger,
    sent: &Sent,
    outcomes: &[Outcome],
    memory_before: &[Sample],
    memory_after: &[Sample],
) -> LoadReport {
    let webhooks = Webhooks {
        sent: sent.sent,
        accepted: sent.accepted,
        accepted_per_sec: per_sec(sent.accepted, sent.elapsed.as_secs_f64()),
        refused_by_status: sent.refused.iter().map(|(status, n)| (status.to_string(), *n)).collect(),
        transport_errors: sent.transport_errors,
        first_transport_error: sent.first_transport_error.clone(),
        max_lag_ms: ms(sent.max_lag.as_micros() as u64),
    };

    let open: Vec<&Outcome> = outcomes.iter().filter(|o| o.connection == Connection::Open).collect();
    let websockets = WebSockets {
        attempted: outcomes.len(),
        opened: open.len(),
        refused_by_status: by_status(outcomes.iter().filter_map(|o| match o.connection {
            Connection::Refused(status) => Some(status),
            _ => None,
        })),
        failed: outcomes.iter().filter(|o| matches!(o.connection, Connection::Failed(_))).count(),
        first_failure: outcomes.iter().find_map(|o| match &o.connection {
            Connection::Failed(why) => Some(why.clone()),
            _ => None,
        }),
        closed_early: open.iter().filter(|o| o.closed_early).count(),
    };

    let mut delivery = Delivery {
        expected: 0,
        delivered: 0,
        missing: 0,
        duplicates: 0,
        unexpected: 0,
        clients_missing_events: 0,
        clients_with_duplicates: 0,
        frames: 0,
        frames_per_sec: 0.0,
    };
    let mut latency = latency_histogram();
    let mut last_frame: Option<Instant> = None;
    // Each streamer's accepted events, listed once rather than once per client.
    let accepted: Vec<Vec<u64>> = (0..plan.streamers.len()).map(|s| ledger.accepted_of(s).collect()).collect();
    for client in &open {
        let expected = &accepted[client.streamer];
        let delivered = expected.iter().filter(|seq| client.received.contains_key(seq)).count() as u64;
        let duplicates: u64 = client.received.values().map(|n| u64::from(n.saturating_sub(1))).sum();
        let unaccepted = client.received.keys().filter(|seq| !ledger.is_accepted(**seq)).count() as u64;
        delivery.expected += expected.len() as u64;
        delivery.delivered += delivered;
        delivery.missing += expected.len() as u64 - delivered;
        delivery.duplicates += duplicates;
        delivery.unexpected += client.foreign + unaccepted;
        delivery.clients_missing_events += usize::from(delivered < expected.len() as u64);
        delivery.clients_with_duplicates += usize::from(duplicates > 0);
        delivery.frames += client.frames;
        latency.add(&client.latency).expect("histograms share their bounds");
        last_frame = last_frame.max(client.last_frame);
    }
    let delivering = match (ledger.first_send(), last_frame) {
        (Some(first), Some(last)) => last.saturating_duration_since(first).as_secs_f64(),
        _ => 0.0,
    };
    delivery.frames_per_sec = per_sec(delivery.frames, delivering);

    let latency_ms = latency_of(&latency);

    let memory = plan
        .targets
        .iter()
        .enumerate()
        .map(|(i, target)| {
            let clients = open.iter().filter(|o| o.target == i).count();
            let before = memory_before.get(i).copied().unwrap_or_default();
            let after = memory_after.get(i).copied().unwrap_or_default();
            let bytes_per_client = match (before.resident_memory_bytes, after.resident_memory_bytes) {
                (Some(b), Some(a)) if clients > 0 => Some(a.saturating_sub(b) / clients as u64),
                _ => None,
            };
            Memory {
                target: target.to_string(),
                clients,
                rss_before_bytes: before.resident_memory_bytes,
                rss_after_bytes: after.resident_memory_bytes,
                bytes_per_client,
                open_fds_before: before.open_fds,
                open_fds_after: after.open_fds,
            }
        })
        .collect::<Vec<_>>();

    let hints = hints(plan, &webhooks, &websockets, &memory);
    let ok = webhooks.sent == webhooks.accepted
        && websockets.opened == websockets.attempted
        && websockets.closed_early == 0
        && delivery.missing == 0
        && delivery.duplicates == 0
        && delivery.unexpected == 0;
    LoadReport {
        ok,
        plan: PlanSummary {
            targets: plan.targets.iter().map(|t| t.to_string()).collect(),
            clients: plan.clients,
            streamers: plan.streamers.len(),
            rate_per_sec: plan.rate,
            duration_secs: plan.duration.as_secs(),
        },
        webhooks,
        websockets,
        delivery,
        latency_ms,
        pages: None,
        storm: None,
        memory,
        hints,
    }
}

/// Percentiles of a latency histogram in microseconds, as milliseconds.
pub(super) fn latency_of(h: &hdrhistogram::Histogram<u64>) -> Option<Latency> {
    (!h.is_empty()).then(|| Latency {
        samples: h.len(),
        p50: ms(h.value_at_quantile(0.50)),
        p95: ms(h.value_at_quantile(0.95)),
        p99: ms(h.value_at_quantile(0.99)),
        max: ms(h.max()),
    })
}

/// What to change, for the problems whose cause is known.
fn hints(plan: &Plan, webhooks: &Webhooks, websockets: &WebSockets, memory: &[Memory]) -> Vec<String> {
    let mut hints = Vec::new();
    if let Some(n) = websockets.refused_by_status.get("429") {
        hints.push(format!(
            "{n} WebSockets were refused with 429: sev allows WS_MAX_PER_ADDRESS feeds per client address (32 by \
             default) and RATE_LIMIT_SOCKETS_PER_MIN new ones a minute (120), and every client of this load comes \
             from one address; start the targets with WS_MAX_PER_ADDRESS above --clients (e.g. \
             WS_MAX_PER_ADDRESS={}) and RATE_LIMIT_SOCKETS_PER_MIN=0",
            plan.clients.max(1000)
        ));
    }
    if let Some(n) = websockets.refused_by_status.get("403") {
        hints.push(format!(
            "{n} WebSockets were refused with 403: the Origin header must be the targets' PUBLIC_URL origin; pass \
             --origin <PUBLIC_URL>"
        ));
    }
    if let Some(n) = webhooks.refused_by_status.get("403") {
        hints.push(format!(
            "{n} webhooks were refused with 403: a wrong signature or a stale timestamp; pass the targets' \
             EVENTSUB_SECRET with --secret, and check the clocks"
        ));
    }
    if let Some(n) = webhooks.refused_by_status.get("503") {
        hints.push(format!("{n} webhooks were answered 503: the targets' storage could not keep up"));
    }
    if webhooks.sent > 0 && webhooks.accepted_per_sec < 0.9 * f64::from(plan.rate) && webhooks.max_lag_ms > 100.0 {
        hints.push(format!(
            "sending fell {} ms behind schedule: all --max-in-flight ({}) requests were waiting for answers; the \
             targets are saturated at about {}/s (or raise --max-in-flight)",
            webhooks.max_lag_ms.round(),
            plan.max_in_flight,
            webhooks.accepted_per_sec.round()
        ));
    }
    if memory.iter().any(|m| m.clients > 0 && m.bytes_per_client.is_none()) {
        hints.push(
            "no memory per connection: a target did not report process_resident_memory_bytes (not Linux, or an \
             older sev)"
                .into(),
        );
    }
    hints
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map(|b| format!("{:.1} MiB", b as f64 / 1_048_576.0)).unwrap_or_else(|| "?".into())
}

fn statuses(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        "0".into()
    } else {
        map.iter().map(|(status, n)| format!("{n}×{status}")).collect::<Vec<_>>().join(" ")
    }
}

impl LoadReport {
    /// Adds the page renders of the run, when there were any; a failed or broken page makes the run not ok.
    pub fn add_pages(&mut self, plan: &Plan, pages: &super::pages::Pages) {
        if plan.page_rate == 0 {
            return;
        }
        let report = PagesReport {
            requested: pages.requested,
            ok: pages.ok,
            ok_per_sec: per_sec(pages.ok, pages.elapsed.as_secs_f64()),
            failed_by_status: pages.failed.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
            wrong: pages.wrong,
            transport_errors: pages.transport_errors,
            latency_ms: latency_of(&pages.latency),
        };
        self.ok &= report.ok == report.requested;
        self.pages = Some(report);
    }

    /// Adds the reconnect storm; a page left without its catch-up makes the run not ok.
    pub fn add_storm(&mut self, storm: super::storm::StormReport) {
        self.ok &= storm.failed == 0;
        self.storm = Some(storm);
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes")
    }

    /// The report for people.
    pub fn table(&self) -> String {
        let (p, w, s, d) = (&self.plan, &self.webhooks, &self.websockets, &self.delivery);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "sev-tools load: {} clients over {} streamers, {} webhooks/s for {} s, {} target{}",
            p.clients,
            p.streamers,
            p.rate_per_sec,
            p.duration_secs,
            p.targets.len(),
            if p.targets.len() == 1 { "" } else { "s" }
        );
        let mut row = |label: &str, value: String| {
            let _ = writeln!(out, "  {label:<11} {value}");
        };
        row(
            "webhooks",
            format!(
                "{} sent, {} accepted ({}/s), refused {}, transport errors {}, max lag {} ms",
                w.sent,
                w.accepted,
                w.accepted_per_sec,
                statuses(&w.refused_by_status),
                w.transport_errors,
                w.max_lag_ms
            ),
        );
        row(
            "websockets",
            format!(
                "{}/{} open, refused {}, failed {}, closed early {}",
                s.opened,
                s.attempted,
                statuses(&s.refused_by_status),
                s.failed,
                s.closed_early
            ),
        );
        row(
            "delivery",
            format!(
                "{}/{} delivered ({} frames/s), missing {}, duplicates {}, unexpected {}",
                d.delivered, d.expected, d.frames_per_sec, d.missing, d.duplicates, d.unexpected
            ),
        );
        row(
            "latency",
            match &self.latency_ms {
                Some(l) => format!(
                    "p50 {} ms, p95 {} ms, p99 {} ms, max {} ms ({} samples)",
                    l.p50, l.p95, l.p99, l.max, l.samples
                ),
                None => "no events arrived".into(),
            },
        );
        if let Some(pages) = &self.pages {
            let latency = match &pages.latency_ms {
                Some(l) => format!("p50 {} ms, p95 {} ms, p99 {} ms, max {} ms", l.p50, l.p95, l.p99, l.max),
                None => "none rendered".into(),
            };
            row(
                "pages",
                format!(
                    "{}/{} rendered ({}/s), failed {}, broken {}, transport errors {}; {latency}",
                    pages.ok,
                    pages.requested,
                    pages.ok_per_sec,
                    statuses(&pages.failed_by_status),
                    pages.wrong,
                    pages.transport_errors
                ),
            );
        }
        if let Some(storm) = &self.storm {
            let latency = match &storm.latency_ms {
                Some(l) => format!("p50 {} ms, p99 {} ms, max {} ms", l.p50, l.p99, l.max),
                None => "none caught up".into(),
            };
            let count = |n: Option<u64>| n.map_or("?".to_string(), |n| n.to_string());
            row(
                "storm",
                format!(
                    "{}/{} caught up in {} ms ({latency}), failed {}; catch-ups from storage {}, from memory {}",
                    storm.caught_up,
                    storm.sockets,
                    storm.total_ms,
                    storm.failed,
                    count(storm.from_storage),
                    count(storm.from_memory)
                ),
            );
        }
        for m in &self.memory {
            let per_client = m.bytes_per_client.map(|b| format!("{:.1} KiB", b as f64 / 1024.0));
            let fds = match (m.open_fds_before, m.open_fds_after) {
                (Some(b), Some(a)) => format!(", open files {b} → {a}"),
                _ => String::new(),
            };
            row(
                "memory",
                format!(
                    "{}: {} → {} with {} clients, {} per client{fds}",
                    m.target,
                    mib(m.rss_before_bytes),
                    mib(m.rss_after_bytes),
                    m.clients,
                    per_client.unwrap_or_else(|| "?".into())
                ),
            );
        }
        if let Some(e) = &w.first_transport_error {
            row("error", format!("first webhook transport error: {e}"));
        }
        if let Some(e) = &s.first_failure {
            row("error", format!("first WebSocket failure: {e}"));
        }
        for hint in &self.hints {
            row("hint", hint.clone());
        }
        row(
            "result",
            if self.ok {
                "OK: every client received every event exactly once".into()
            } else {
                "FAILED: events were lost or duplicated, or requests failed".into()
            },
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::load::Streamer;

    fn plan(clients: usize) -> Plan {
        let streamer =
            |i: usize| Streamer { login: format!("s{i}"), id: i.to_string(), subscription_id: format!("sub{i}") };
        Plan {
            targets: vec![url::Url::parse("http://127.0.0.1:3000").unwrap()],
            webhook_targets: Vec::new(),
            origin: None,
            streamers: vec![streamer(0), streamer(1)],
            clients,
            rate: 4,
            page_rate: 0,
            duration: Duration::from_secs(1),
            drain: Duration::ZERO,
            settle: Duration::ZERO,
            max_in_flight: 4,
            secret: "secret-secret".into(),
            storm: false,
        }
    }

    fn client(streamer: usize, received: &[(u64, u32)]) -> Outcome {
        let mut outcome = Outcome::new(streamer, 0, Connection::Open);
        outcome.received = received.iter().copied().collect();
        outcome.frames = received.iter().map(|(_, n)| u64::from(*n)).sum();
        outcome
    }

    #[test]
    fn lost_and_repeated_events_are_counted_per_client_and_fail_the_run() {
        let ledger = Ledger::new(4, 2);
        for seq in 0..4 {
            ledger.sending(seq, std::time::Instant::now());
            ledger.accept(seq);
        }
        let sent = Sent { sent: 4, accepted: 4, elapsed: Duration::from_secs(1), ..Sent::default() };
        let perfect = [client(0, &[(0, 1), (2, 1)]), client(1, &[(1, 1), (3, 1)])];
        let report = build(&plan(2), &ledger, &sent, &perfect, &[], &[]);
        assert!(report.ok, "{}", report.table());
        assert_eq!((report.delivery.expected, report.delivery.delivered), (4, 4));

        let flawed = [client(0, &[(0, 3)]), client(1, &[(1, 1), (3, 1)])];
        let report = build(&plan(2), &ledger, &sent, &flawed, &[], &[]);
        assert!(!report.ok);
        assert_eq!(report.delivery.missing, 1, "streamer 0's client never got event 2");
        assert_eq!(report.delivery.duplicates, 2);
        assert_eq!((report.delivery.clients_missing_events, report.delivery.clients_with_duplicates), (1, 1));
        assert!(report.table().contains("FAILED"));
    }

    #[test]
    fn refused_sockets_fail_the_run_and_say_which_setting_to_raise() {
        let ledger = Ledger::new(4, 2);
        let sent = Sent { sent: 4, accepted: 4, ..Sent::default() };
        let outcomes = [client(0, &[]), Outcome::new(1, 0, Connection::Refused(429))];
        let report = build(&plan(2), &ledger, &sent, &outcomes, &[], &[]);
        assert!(!report.ok);
        assert_eq!(report.websockets.refused_by_status, BTreeMap::from([("429".to_string(), 1)]));
        assert!(report.hints[0].contains("WS_MAX_PER_ADDRESS"), "{:?}", report.hints);
    }

    #[test]
    fn memory_per_client_is_the_growth_over_the_clients_of_that_target() {
        let ledger = Ledger::new(4, 2);
        let before = Sample {
            resident_memory_bytes: Some(10_000_000),
            open_fds: Some(20),
            open_websockets: Some(0),
            ..Sample::default()
        };
        let after = Sample {
            resident_memory_bytes: Some(10_200_000),
            open_fds: Some(22),
            open_websockets: Some(2),
            ..Sample::default()
        };
        let outcomes = [client(0, &[]), client(1, &[])];
        let report = build(&plan(2), &ledger, &Sent::default(), &outcomes, &[before], &[after]);
        assert_eq!(report.memory[0].bytes_per_client, Some(100_000));
        assert_eq!(report.memory[0].clients, 2);
        assert!(report.table().contains("97.7 KiB per client"), "{}", report.table());
    }
}
