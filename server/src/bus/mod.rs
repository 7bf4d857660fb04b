//! The event bus: stored events are published here, keyed by streamer, and every page watching that streamer
//! receives them. One instance uses the in-process [`LocalBus`]; several share [`redis::RedisBus`], which relays
//! every event to every instance's local subscribers.

pub mod redis;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::broadcast;

use app::events::FeedEvent;
use app::live::ServerMessage;

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
    pub fn new(event: FeedEvent) -> Published {
        let frame = serde_json::to_string(&ServerMessage::Event { event: Box::new(event.clone()) }).unwrap_or_default();
        Published { event, at: Instant::now(), frame: frame.into() }
    }
}

/// What subscribers receive. An event is shared, not copied, between the pages watching its streamer.
#[derive(Debug, Clone)]
pub enum BusMessage {
    Event(Arc<Published>),
    /// Events may have been missed (the shared bus was down): read storage again.
    Resync,
}

pub trait EventBus: Send + Sync + 'static {
    /// Hands an event to every current subscriber of its streamer, on every instance.
    fn publish(&self, event: FeedEvent);
    /// Receives the streamer's events from now on.
    fn subscribe(&self, streamer_id: &str) -> broadcast::Receiver<BusMessage>;
    /// Whether the bus reaches the other instances; always true in-process.
    fn healthy(&self) -> bool {
        true
    }
    /// A word for health checks.
    fn name(&self) -> &'static str {
        "in-process"
    }
}

/// One broadcast channel per watched streamer, in this process.
#[derive(Default)]
pub struct LocalBus {
    channels: Mutex<HashMap<String, broadcast::Sender<BusMessage>>>,
}

impl LocalBus {
    /// Tells every subscriber to read storage again.
    pub fn resync_all(&self) {
        let channels = self.channels.lock().expect("bus lock poisoned");
        for sender in channels.values() {
            let _ = sender.send(BusMessage::Resync);
        }
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: FeedEvent) {
        // Serialized before taking the lock, which every page's subscribe and every publish share.
        let streamer = event.streamer_id.clone();
        let published = Arc::new(Published::new(event));
        let mut channels = self.channels.lock().expect("bus lock poisoned");
        if let Some(sender) = channels.get(&streamer)
            && sender.send(BusMessage::Event(published)).is_err()
        {
            // Nobody listens any more: drop the channel so the map only holds watched streamers.
            channels.remove(&streamer);
        }
    }

    fn subscribe(&self, streamer_id: &str) -> broadcast::Receiver<BusMessage> {
        let mut channels = self.channels.lock().expect("bus lock poisoned");
        channels.entry(streamer_id.to_string()).or_insert_with(|| broadcast::channel(SUBSCRIBER_BUFFER).0).subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::events::Event;

    fn event(id: i64, streamer: &str) -> FeedEvent {
        FeedEvent {
            id,
            streamer_id: streamer.into(),
            subscription_type: "stream.offline".into(),
            version: "1".into(),
            occurred_at_ms: 0,
            event: Event::StreamOffline,
        }
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
    async fn a_channel_without_subscribers_is_dropped() {
        let bus = LocalBus::default();
        drop(bus.subscribe("a"));
        bus.publish(event(1, "a"));
        assert!(bus.channels.lock().unwrap().is_empty());
        bus.publish(event(2, "nobody"));
    }
}
