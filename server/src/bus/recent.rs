//! Each watched streamer's newest events, kept in memory beside the bus so that catch-ups rarely read storage.
//!
//! When an instance dies, every page it served reconnects to the others at about the same time, and each asks
//! for a catch-up. Read from storage, that is one query per page: tens of thousands at once. Kept here, it is one
//! query per streamer per instance (the first page to ask loads it; the rest wait for that load and share it).
//!
//! The list is fed by every event this instance's bus delivers, so once loaded it stays the newest
//! [`FEED_LENGTH`]: storage keeps no event the bus did not carry, except while the shared bus is down. Then the
//! bus tells its pages to resync, and the list is marked stale first, so the next catch-up reads storage again.

use std::collections::BTreeMap;
use std::sync::Arc;

use app::events::FeedEvent;
use app::feed::FEED_LENGTH;

/// One streamer's newest events, by id.
#[derive(Default)]
pub struct Recent {
    events: BTreeMap<i64, FeedEvent>,
    /// Whether `events` is known to hold the newest stored events (a load from storage finished, and no resync
    /// has happened since).
    complete: bool,
    /// Bumped by each resync, so a load that read storage before the resync cannot mark the list complete.
    generation: u64,
    /// Held by the page loading from storage, so the others wait for it instead of querying too.
    loading: Arc<tokio::sync::Mutex<()>>,
}

impl Recent {
    /// Adds an event the bus delivered, keeping the newest [`FEED_LENGTH`].
    pub fn add(&mut self, event: &FeedEvent) {
        if self.events.contains_key(&event.id) {
            return;
        }
        if self.events.len() == FEED_LENGTH
            && let Some((&oldest, _)) = self.events.first_key_value()
        {
            if event.id <= oldest {
                return;
            }
            self.events.remove(&oldest);
        }
        self.events.insert(event.id, event.clone());
    }

    /// The newest events, oldest first, when they are known to be the newest stored.
    pub fn newest(&self) -> Option<Vec<FeedEvent>> {
        self.complete.then(|| self.events.values().cloned().collect())
    }

    /// Merges a load from storage started at `generation`; the list is complete unless a resync came since.
    pub fn loaded(&mut self, stored: &[FeedEvent], generation: u64) -> Vec<FeedEvent> {
        for event in stored {
            self.add(event);
        }
        self.complete = generation == self.generation;
        self.events.values().cloned().collect()
    }

    /// Storage may hold events the bus did not carry: the next catch-up reads it again.
    pub fn stale(&mut self) {
        self.complete = false;
        self.generation += 1;
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn loading(&self) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(&self.loading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64) -> FeedEvent {
        crate::bus::tests::event(id, "1")
    }

    fn ids(events: &[FeedEvent]) -> Vec<i64> {
        events.iter().map(|e| e.id).collect()
    }

    #[test]
    fn keeps_the_newest_in_id_order_whatever_the_arrival_order() {
        let mut recent = Recent::default();
        for id in [5, 1, 12, 3, 8, 2, 11, 4, 9, 6, 7, 10, 0, 12, 7] {
            recent.add(&event(id));
        }
        assert_eq!(recent.newest(), None, "not loaded from storage yet");
        let all = recent.loaded(&[], recent.generation());
        assert_eq!(ids(&all), (3..=12).collect::<Vec<_>>());
        assert_eq!(ids(&recent.newest().unwrap()), (3..=12).collect::<Vec<_>>());
    }

    #[test]
    fn a_load_merges_with_what_the_bus_delivered_meanwhile() {
        let mut recent = Recent::default();
        let generation = recent.generation();
        // Published while the page's storage read was under way, so missing from what it read.
        recent.add(&event(21));
        let merged = recent.loaded(&[event(19), event(20)], generation);
        assert_eq!(ids(&merged), vec![19, 20, 21]);
    }

    #[test]
    fn a_resync_during_a_load_leaves_the_list_stale() {
        let mut recent = Recent::default();
        let generation = recent.generation();
        recent.stale();
        recent.loaded(&[event(1)], generation);
        assert_eq!(recent.newest(), None, "read before the resync: it may miss what the resync is for");
        recent.loaded(&[event(1), event(2)], recent.generation());
        assert_eq!(ids(&recent.newest().unwrap()), vec![1, 2]);
        recent.stale();
        assert_eq!(recent.newest(), None);
    }
}
