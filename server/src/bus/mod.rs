//! The event bus: stored events are published here, keyed by streamer, and every page watching that streamer
//! receives them. One instance uses the in-process [`LocalBus`]; several share [`redis::RedisBus`], which relays
//! every event to every instance's local subscribers.

mod recent;
pub mod redis;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::broadcast;

use app::events::FeedEvent;
use app::feed::ServerMessage;

use recent::Recent;

/// How many events a slow subscriber may fall behind before it is told it lagged (and must resync from storage).
pub const SUBSCRIBER_BUFFER: usize = 256;

/// An event on the bus, with when it was published (for measuring fan-out latency) and the WebSocket frame that
/// carries it, serialized once here rather than once per watching page.
#[derive(Debug)]
pub struct Published {
    pub event: FeedEvent,
    pub at: Instant,
    /// Cheap to clone: the text is reference-counted.
    pub frame: Utf8Bytes,
}

impl Published {
    /// The event with its frame. An event that cannot be written as JSON (none can fail today: strings and
    /// numbers only) is an error, never an empty frame a page would choke on.
    pub fn new(event: FeedEvent) -> Result<Published, serde_json::Error> {
        let frame = serde_json::to_string(&ServerMessage::Event { event: Box::new(event.clone()) })?;
        Ok(Published { event, at: Instant::now(), frame: frame.into() })
    }
}

/// What subscribers receive. An event is shared, not copied, between the pages watching its streamer.
#[derive(Debug, Clone)]
pub enum BusMessage {
    Event(Arc<Published>),
    /// Events may have been missed (the shared bus was down): read storage again.
    Resync,
}

/// Resolves once the event reached the other instances (true) or could not (false); `None` when there are no
/// other instances to reach.
pub type Confirmation = Option<tokio::sync::oneshot::Receiver<bool>>;

pub trait EventBus: Send + Sync + 'static {
    /// Hands an event to every current subscriber of its streamer, on every instance. This instance's pages have
    /// it when this returns; the confirmation says when the others do, so a webhook can be acknowledged only
    /// once the event is beyond this process (an instance killed right after answering Twitch then loses no
    /// page's event).
    fn publish(&self, event: FeedEvent) -> Confirmation;
    /// Receives the streamer's events from now on.
    fn subscribe(&self, streamer_id: &str) -> Subscription;
    /// This instance's own subscribers, and what it remembers of their streamers' newest events.
    fn local(&self) -> &LocalBus;
    /// Whether the bus reaches the other instances; always true in-process.
    fn healthy(&self) -> bool {
        true
    }
    /// Events that could not be queued for the other instances (they resync from storage instead).
    fn dropped(&self) -> u64 {
        0
    }
    /// A word for health checks.
    fn name(&self) -> &'static str {
        "in-process"
    }
}

/// A watched streamer: the pages' channel and the newest events it carried.
struct Channel {
    sender: broadcast::Sender<BusMessage>,
    recent: Recent,
}

/// One broadcast channel per watched streamer, in this process.
#[derive(Default)]
pub struct LocalBus {
    /// Shared with each [`Subscription`], which removes its streamer's entry when it is the last one to go.
    channels: Arc<Mutex<HashMap<String, Channel>>>,
    /// Catch-ups answered from memory and from storage, for `/metrics`.
    catchups_from_memory: AtomicU64,
    catchups_from_storage: AtomicU64,
}

/// A page's receiver of one streamer's events. The bus holds a channel (and the streamer's newest events) only
/// while someone subscribes: the last subscription to go takes the entry with it, so ids nobody watches cost
/// nothing, however many were opened and closed.
pub struct Subscription {
    receiver: broadcast::Receiver<BusMessage>,
    streamer_id: String,
    channels: Arc<Mutex<HashMap<String, Channel>>>,
}

impl Subscription {
    /// The same subscription from now on, skipping whatever waits in this one.
    pub fn resubscribe(&mut self) {
        self.receiver = self.receiver.resubscribe();
    }
}

impl std::ops::Deref for Subscription {
    type Target = broadcast::Receiver<BusMessage>;
    fn deref(&self) -> &Self::Target {
        &self.receiver
    }
}

impl std::ops::DerefMut for Subscription {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.receiver
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let Ok(mut channels) = self.channels.lock() else { return };
        // Under the lock no one can subscribe meanwhile; this receiver still counts until it is dropped.
        if channels.get(&self.streamer_id).is_some_and(|c| c.sender.receiver_count() <= 1) {
            channels.remove(&self.streamer_id);
        }
    }
}

/// A load of a streamer's newest events from storage; while it is held, other pages wait instead of loading too.
pub struct Load {
    _turn: tokio::sync::OwnedMutexGuard<()>,
    generation: u64,
}

impl LocalBus {
    /// Tells every subscriber to read storage again: events may have been stored that this bus never carried.
    pub fn resync_all(&self) {
        let mut channels = self.channels.lock().expect("bus lock poisoned");
        for channel in channels.values_mut() {
            channel.recent.stale();
            let _ = channel.sender.send(BusMessage::Resync);
        }
    }

    /// The streamer's newest events, oldest first, if this instance knows them (no storage read); else `None`:
    /// read storage under [`LocalBus::begin_load`] and hand the result to [`LocalBus::loaded`].
    pub fn newest(&self, streamer_id: &str) -> Option<Vec<FeedEvent>> {
        let channels = self.channels.lock().expect("bus lock poisoned");
        let events = channels.get(streamer_id).and_then(|c| c.recent.newest())?;
        self.catchups_from_memory.fetch_add(1, Ordering::Relaxed);
        Some(events)
    }

    /// Waits for this streamer's turn to load from storage. Check [`LocalBus::newest`] again once it is granted:
    /// the page before may have loaded what this one wants.
    pub async fn begin_load(&self, streamer_id: &str) -> Load {
        // The caller subscribed first, so the channel is there; were it not, a gate of its own serves, and no
        // entry is made that no subscription would ever remove.
        let gate = {
            let channels = self.channels.lock().expect("bus lock poisoned");
            channels.get(streamer_id).map(|c| c.recent.loading()).unwrap_or_default()
        };
        let turn = gate.lock_owned().await;
        let channels = self.channels.lock().expect("bus lock poisoned");
        let generation = channels.get(streamer_id).map_or(0, |c| c.recent.generation());
        Load { _turn: turn, generation }
    }

    /// Records what a load read from storage; returns the newest events, merged with what the bus carried
    /// meanwhile.
    pub fn loaded(&self, streamer_id: &str, load: Load, stored: Vec<FeedEvent>) -> Vec<FeedEvent> {
        self.catchups_from_storage.fetch_add(1, Ordering::Relaxed);
        let mut channels = self.channels.lock().expect("bus lock poisoned");
        match channels.get_mut(streamer_id) {
            Some(channel) => channel.recent.loaded(&stored, load.generation),
            None => {
                let mut stored = stored;
                stored.sort_by_key(|e| e.id);
                stored
            }
        }
    }

    /// How many catch-ups were answered from memory and from storage.
    pub fn catchups(&self) -> (u64, u64) {
        (self.catchups_from_memory.load(Ordering::Relaxed), self.catchups_from_storage.load(Ordering::Relaxed))
    }

    /// How many streamers this instance holds a channel for.
    pub fn watched(&self) -> usize {
        self.channels.lock().expect("bus lock poisoned").len()
    }
}

impl Channel {
    fn new() -> Channel {
        Channel { sender: broadcast::channel(SUBSCRIBER_BUFFER).0, recent: Recent::default() }
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: FeedEvent) -> Confirmation {
        // Serialized before taking the lock, which every page's subscribe and every publish share.
        let streamer = event.streamer_id.clone();
        let published = match Published::new(event) {
            Ok(published) => Arc::new(published),
            Err(e) => {
                // Stored already: pages get it from storage when they next catch up.
                tracing::error!(error = %e, streamer, "an event could not be written for the feed; not published");
                return None;
            }
        };
        let mut channels = self.channels.lock().expect("bus lock poisoned");
        // Only subscriptions make channels, and the last to go removes its own: an entry always has a receiver.
        if let Some(channel) = channels.get_mut(&streamer) {
            channel.recent.add(&published.event);
            let _ = channel.sender.send(BusMessage::Event(published));
        }
        None
    }

    fn subscribe(&self, streamer_id: &str) -> Subscription {
        let mut channels = self.channels.lock().expect("bus lock poisoned");
        let receiver = channels.entry(streamer_id.to_string()).or_insert_with(Channel::new).sender.subscribe();
        Subscription { receiver, streamer_id: streamer_id.to_string(), channels: Arc::clone(&self.channels) }
    }

    fn local(&self) -> &LocalBus {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::events::Event;

    /// An event of `streamer` with storage id `id`; the other bus tests use it too.
    pub(super) fn event(id: i64, streamer: &str) -> FeedEvent {
        FeedEvent {
            id,
            streamer_id: streamer.into(),
            subscription_type: "stream.offline".into(),
            version: "1".into(),
            occurred_at_ms: 0,
            event: Event::StreamOffline,
        }
    }

    #[test]
    fn a_published_event_carries_the_frame_pages_read() {
        let published = Published::new(event(7, "a")).expect("an event is JSON");
        let frame: ServerMessage = serde_json::from_str(published.frame.as_str()).expect("a frame, never empty");
        assert!(matches!(frame, ServerMessage::Event { event } if event.id == 7));
    }

    #[tokio::test]
    async fn subscribers_get_only_their_streamers_events_in_order() {
        let bus = LocalBus::default();
        let mut a = bus.subscribe("a");
        let mut b = bus.subscribe("b");
        bus.publish(event(1, "a"));
        bus.publish(event(2, "b"));
        bus.publish(event(3, "a"));
        let id = |m: BusMessage| match m {
            BusMessage::Event(p) => p.event.id,
            BusMessage::Resync => -1,
        };
        assert_eq!(id(a.recv().await.unwrap()), 1);
        assert_eq!(id(a.recv().await.unwrap()), 3);
        assert_eq!(id(b.recv().await.unwrap()), 2);
        bus.resync_all();
        assert_eq!(id(a.recv().await.unwrap()), -1);
        assert!(a.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_channel_goes_with_its_last_subscriber() {
        let bus = LocalBus::default();
        let (first, second) = (bus.subscribe("a"), bus.subscribe("a"));
        drop(first);
        assert_eq!(bus.watched(), 1, "one subscriber is left");
        drop(second);
        assert_eq!(bus.watched(), 0);
        for id in 0..1000 {
            drop(bus.subscribe(&format!("made-up-{id}")));
        }
        assert_eq!(bus.watched(), 0, "subscribing and leaving leaves nothing behind");
        let _ = bus.publish(event(2, "nobody"));
        assert_eq!(bus.watched(), 0, "publishing to nobody creates nothing");
    }
}
