//! What was sent, when, and whether sev accepted it: shared by the webhook sender (which writes it) and the
//! WebSocket clients (which read it to time each frame), then read by the report to know what every client
//! should have received.
//!
//! Events are numbered 0..total and event `seq` belongs to streamer `seq % streamers`, so the ledger is a few
//! preallocated atomics per event: writing it never takes a lock on the sending path.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

pub struct Ledger {
    origin: Instant,
    /// Nanoseconds after `origin` plus one at which each webhook was sent; 0 while unsent.
    sent_at: Vec<AtomicU64>,
    accepted: Vec<AtomicBool>,
    streamers: usize,
    /// First receipts of this run's events over all clients, to know when draining can stop.
    first_deliveries: AtomicU64,
}

impl Ledger {
    pub fn new(total: u64, streamers: usize) -> Self {
        Ledger {
            origin: Instant::now(),
            sent_at: (0..total).map(|_| AtomicU64::new(0)).collect(),
            accepted: (0..total).map(|_| AtomicBool::new(false)).collect(),
            streamers: streamers.max(1),
            first_deliveries: AtomicU64::new(0),
        }
    }

    pub fn total(&self) -> u64 {
        self.sent_at.len() as u64
    }

    pub fn streamer_of(&self, seq: u64) -> usize {
        (seq % self.streamers as u64) as usize
    }

    /// Records that the request for `seq` goes out now.
    /// Records when webhook `seq` was due to be sent. Latency counts from then, not from when a free request
    /// slot let it go, so a saturated sender shows up in the percentiles instead of hiding its queue.
    pub fn sending(&self, seq: u64, due: std::time::Instant) {
        if let Some(slot) = self.sent_at.get(seq as usize) {
            slot.store(due.saturating_duration_since(self.origin).as_nanos() as u64 + 1, Relaxed);
        }
    }

    pub fn accept(&self, seq: u64) {
        if let Some(flag) = self.accepted.get(seq as usize) {
            flag.store(true, Relaxed);
        }
    }

    pub fn is_accepted(&self, seq: u64) -> bool {
        self.accepted.get(seq as usize).is_some_and(|a| a.load(Relaxed))
    }

    /// From sending `seq` to `arrived`; `None` for an event this run did not send.
    pub fn latency(&self, seq: u64, arrived: Instant) -> Option<Duration> {
        let sent = self.sent_at.get(seq as usize)?.load(Relaxed).checked_sub(1)?;
        Some(arrived.duration_since(self.origin).saturating_sub(Duration::from_nanos(sent)))
    }

    /// When the first webhook went out.
    pub fn first_send(&self) -> Option<Instant> {
        let nanos = self.sent_at.first()?.load(Relaxed).checked_sub(1)?;
        Some(self.origin + Duration::from_nanos(nanos))
    }

    /// The accepted events of `streamer`, in order.
    pub fn accepted_of(&self, streamer: usize) -> impl Iterator<Item = u64> + '_ {
        (streamer as u64..self.total()).step_by(self.streamers).filter(|seq| self.is_accepted(*seq))
    }

    pub fn accepted_for(&self, streamer: usize) -> u64 {
        self.accepted_of(streamer).count() as u64
    }

    pub fn delivered_first(&self) {
        self.first_deliveries.fetch_add(1, Relaxed);
    }

    pub fn first_deliveries(&self) -> u64 {
        self.first_deliveries.load(Relaxed)
    }
}

/// The title of event `seq` in run `run`: the run id keeps two loads on the same streamers apart.
pub fn title(run: &str, seq: u64) -> String {
    format!("load {seq} {run}")
}

/// The sequence number in a title of run `run`; `None` for any other title.
pub fn seq_in(title: &str, run: &str) -> Option<u64> {
    let (seq, its_run) = title.strip_prefix("load ")?.split_once(' ')?;
    (its_run == run).then(|| seq.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_carry_the_sequence_number_of_their_run_only() {
        assert_eq!(seq_in(&title("ab12", 42), "ab12"), Some(42));
        assert_eq!(seq_in(&title("ab12", 42), "cd34"), None);
        assert_eq!(seq_in("Just chatting", "ab12"), None);
        assert_eq!(seq_in("load x ab12", "ab12"), None);
    }

    #[test]
    fn latency_counts_from_sending_and_only_for_sent_events() {
        let ledger = Ledger::new(10, 3);
        assert_eq!(ledger.latency(4, Instant::now()), None, "not sent yet");
        ledger.sending(4, Instant::now());
        let later = Instant::now() + Duration::from_millis(50);
        let latency = ledger.latency(4, later).unwrap();
        assert!(latency >= Duration::from_millis(49) && latency < Duration::from_secs(1), "{latency:?}");
        assert_eq!(ledger.latency(99, later), None, "beyond the run");
    }

    #[test]
    fn each_streamer_expects_its_own_accepted_events() {
        let ledger = Ledger::new(10, 3);
        for seq in [0, 1, 3, 4, 9] {
            ledger.accept(seq);
        }
        assert_eq!(ledger.accepted_of(0).collect::<Vec<_>>(), [0, 3, 9]);
        assert_eq!(ledger.accepted_of(1).collect::<Vec<_>>(), [1, 4]);
        assert_eq!(ledger.accepted_for(2), 0);
        assert_eq!(ledger.streamer_of(7), 1);
    }
}
