//! The shared bus for several instances: each event is published on a Redis channel for its streamer, and every
//! instance relays what it hears to its own subscribers, whichever instance received the webhook.
//!
//! When Redis is unreachable the instance keeps working alone: it delivers its own events to its own pages and
//! keeps accepting (and storing) webhooks, while a background task reconnects with backoff. When the subscription
//! is back, every local page is told to resync from storage, so events stored by other instances meanwhile are
//! caught up and nothing is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use tokio::sync::{Mutex, broadcast};

use app::events::FeedEvent;

use super::{BusMessage, EventBus, LocalBus};

/// Channel names are this prefix plus the streamer id.
const PREFIX: &str = "sev:events:";
const MAX_BACKOFF: Duration = Duration::from_secs(10);

pub struct RedisBus {
    local: Arc<LocalBus>,
    client: redis::Client,
    publisher: Mutex<Option<MultiplexedConnection>>,
    /// Whether the relay's subscription is up.
    subscribed: Arc<AtomicBool>,
}

impl RedisBus {
    /// Connects lazily: a Redis that is down at start-up is retried like any outage.
    pub fn start(url: &str) -> Result<Arc<RedisBus>, redis::RedisError> {
        let bus = Arc::new(RedisBus {
            local: Arc::new(LocalBus::default()),
            client: redis::Client::open(url)?,
            publisher: Mutex::new(None),
            subscribed: Arc::new(AtomicBool::new(false)),
        });
        tokio::spawn(relay(bus.client.clone(), bus.local.clone(), bus.subscribed.clone()));
        Ok(bus)
    }

    /// The shared publishing connection, opened on first use. A multiplexed connection pipelines concurrent
    /// commands, so the lock is held only to clone it, never across a round trip.
    async fn connection(&self) -> Result<MultiplexedConnection, redis::RedisError> {
        let mut guard = self.publisher.lock().await;
        if let Some(connection) = guard.as_ref() {
            return Ok(connection.clone());
        }
        let connection = self.client.get_multiplexed_tokio_connection().await?;
        *guard = Some(connection.clone());
        Ok(connection)
    }

    /// Publishes on the streamer's channel. A failure drops the connection and is retried once on a new one, so a
    /// connection Redis closed (say, after a restart) costs no event while the relays are still listening.
    async fn send(&self, event: &FeedEvent) -> Result<(), redis::RedisError> {
        let channel = format!("{PREFIX}{}", event.streamer_id);
        let payload = serde_json::to_string(event).unwrap_or_default();
        let mut outcome = Ok(());
        for _ in 0..2 {
            let mut connection = self.connection().await?;
            outcome = connection.publish::<_, _, i64>(&channel, &payload).await.map(drop);
            if outcome.is_ok() {
                break;
            }
            *self.publisher.lock().await = None;
        }
        outcome
    }
}

impl EventBus for Arc<RedisBus> {
    fn publish(&self, event: FeedEvent) {
        let bus = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(e) = bus.send(&event).await {
                // Our own pages still get it; the others resync when the bus is back.
                tracing::warn!(error = %e, "Redis publish failed; delivering to this instance only");
                bus.local.publish(event);
            }
        });
    }

    fn subscribe(&self, streamer_id: &str) -> broadcast::Receiver<BusMessage> {
        self.local.subscribe(streamer_id)
    }

    fn healthy(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}

/// Relays every event heard on Redis to this instance's subscribers, reconnecting forever.
async fn relay(client: redis::Client, local: Arc<LocalBus>, subscribed: Arc<AtomicBool>) {
    let mut backoff = Duration::from_millis(200);
    let mut lost = false;
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.psubscribe(format!("{PREFIX}*")).await {
                Ok(()) => {
                    subscribed.store(true, Ordering::Relaxed);
                    backoff = Duration::from_millis(200);
                    if lost {
                        tracing::info!("Redis bus is back; pages resync from storage");
                        local.resync_all();
                    }
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let Ok(payload) = message.get_payload::<String>() else { continue };
                        match serde_json::from_str::<FeedEvent>(&payload) {
                            Ok(event) => local.publish(event),
                            Err(e) => tracing::warn!(error = %e, "unreadable event on the Redis bus"),
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot subscribe on Redis"),
            },
            Err(e) => tracing::debug!(error = %e, "cannot reach Redis"),
        }
        if !lost || subscribed.load(Ordering::Relaxed) {
            tracing::warn!("Redis bus lost; serving this instance's pages alone and reconnecting");
        }
        subscribed.store(false, Ordering::Relaxed);
        lost = true;
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
