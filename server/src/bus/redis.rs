//! The shared bus for several instances: each event is published on a Redis channel for its streamer, and every
//! instance relays what it hears to its own subscribers, whichever instance received the webhook.
//!
//! Redis is never on the path to this instance's own pages: an event is delivered locally first, then queued
//! for Redis, and the relay skips the echo of what this instance published. So a Redis that is slow, down or
//! silently blackholed (a half-open connection that takes bytes and answers nothing) delays nothing here.
//!
//! Every wait on Redis has a deadline: connecting, each publish, and a PING on the subscribing connection every
//! second, which is how a blackhole is noticed (a subscriber otherwise waits forever on a connection that looks
//! open). While either direction is down, `/readyz` says so. Events stored meanwhile are not lost, because
//! storage has them: when the subscription comes back, this instance's pages resync from storage; when publishing
//! comes back, a resync notice tells every other instance to do the same for the events it could not send.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use redis::{AsyncCommands, AsyncConnectionConfig};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use app::events::FeedEvent;

use super::{Confirmation, EventBus, LocalBus, Subscription};

/// Event channels are this prefix plus the streamer id.
const PREFIX: &str = "sev:events:";
/// Where an instance whose publishing recovered names itself, so the others resync.
const RESYNC_CHANNEL: &str = "sev:resync";
/// The longest wait for a connection, a publish or a PING answer.
const DEADLINE: Duration = Duration::from_secs(1);
/// How often the subscribing connection is checked.
const PING_EVERY: Duration = Duration::from_secs(1);
const MIN_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Events waiting to be published. Past this (a Redis slower than the webhooks), events are dropped from the
/// queue, not from anywhere else: pages here already have them, storage has them, and the other instances are
/// told to resync.
pub const OUTBOX: usize = 10_000;

/// What travels on an event channel: the event and the instance that published it.
#[derive(Serialize, Deserialize)]
struct Relayed {
    from: String,
    event: FeedEvent,
}

/// An event waiting for Redis, and who to tell once it is published.
struct Outgoing {
    event: FeedEvent,
    confirm: oneshot::Sender<bool>,
}

/// The state the health check and the metrics read.
#[derive(Default)]
struct Status {
    /// The relay's subscription is up and answering PINGs.
    subscribed: AtomicBool,
    /// Publishing failed (or the queue overflowed) and the other instances have not been told to resync yet.
    owed: AtomicBool,
    /// Events dropped from a full queue.
    dropped: AtomicU64,
}

pub struct RedisBus {
    local: Arc<LocalBus>,
    outbox: mpsc::Sender<Outgoing>,
    status: Arc<Status>,
}

impl RedisBus {
    /// Connects lazily: a Redis that is down at start-up is retried like any outage. `instance` names this
    /// instance in what it publishes.
    pub fn start(url: &str, instance: &str) -> Result<Arc<RedisBus>, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let (outbox, queue) = mpsc::channel(OUTBOX);
        let bus = Arc::new(RedisBus { local: Arc::new(LocalBus::default()), outbox, status: Arc::default() });
        tokio::spawn(relay(client.clone(), bus.local.clone(), bus.status.clone(), instance.to_string()));
        tokio::spawn(publisher(client, queue, bus.status.clone(), instance.to_string()));
        Ok(bus)
    }
}

impl EventBus for Arc<RedisBus> {
    fn publish(&self, event: FeedEvent) -> Confirmation {
        let _ = self.local.publish(event.clone());
        let (confirm, confirmed) = oneshot::channel();
        if let Err(mpsc::error::TrySendError::Full(_)) = self.outbox.try_send(Outgoing { event, confirm }) {
            self.status.dropped.fetch_add(1, Ordering::Relaxed);
            self.status.owed.store(true, Ordering::Relaxed);
        }
        // Dropped unanswered (a full queue): the receiver sees an error, which counts as not published.
        Some(confirmed)
    }

    fn subscribe(&self, streamer_id: &str) -> Subscription {
        self.local.subscribe(streamer_id)
    }

    fn local(&self) -> &LocalBus {
        &self.local
    }

    fn healthy(&self) -> bool {
        self.status.subscribed.load(Ordering::Relaxed) && !self.status.owed.load(Ordering::Relaxed)
    }

    fn dropped(&self) -> u64 {
        self.status.dropped.load(Ordering::Relaxed)
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}

fn config() -> AsyncConnectionConfig {
    AsyncConnectionConfig::new().set_connection_timeout(DEADLINE).set_response_timeout(DEADLINE)
}

/// Publishes `payload` on `channel` over the shared connection, opening one if there is none. A failure drops
/// the connection, so the next attempt starts afresh rather than queueing behind a dead one.
async fn send(
    client: &redis::Client,
    connection: &mut Option<MultiplexedConnection>,
    channel: &str,
    payload: &str,
) -> Result<(), redis::RedisError> {
    let open = match connection {
        Some(open) => open,
        None => connection.insert(client.get_multiplexed_async_connection_with_config(&config()).await?),
    };
    let sent = open.publish::<_, _, i64>(channel, payload).await.map(drop);
    if sent.is_err() {
        *connection = None;
    }
    sent
}

/// Publishes queued events in order. After a failure it stops publishing events one by one: it waits, drops
/// what queued meanwhile (those are in storage and on this instance's pages), and tries to tell the others to
/// resync; once that works, events flow again.
async fn publisher(client: redis::Client, mut queue: mpsc::Receiver<Outgoing>, status: Arc<Status>, instance: String) {
    let mut connection = None;
    let mut backoff = MIN_BACKOFF;
    loop {
        if status.owed.load(Ordering::Relaxed) {
            tokio::time::sleep(backoff).await;
            while queue.try_recv().is_ok() {}
            match send(&client, &mut connection, RESYNC_CHANNEL, &instance).await {
                Ok(()) => {
                    status.owed.store(false, Ordering::Relaxed);
                    backoff = MIN_BACKOFF;
                    tracing::info!("publishing on Redis again; the other instances resync from storage");
                }
                Err(e) => {
                    tracing::debug!(error = %e, "Redis still does not take publishes");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
            continue;
        }
        let Some(Outgoing { event, confirm }) = queue.recv().await else { return };
        let channel = format!("{PREFIX}{}", event.streamer_id);
        let sent = match serde_json::to_string(&Relayed { from: instance.clone(), event }) {
            Ok(payload) => send(&client, &mut connection, &channel, &payload).await,
            // Never an empty message on the channel: the other instances are told to resync instead.
            Err(e) => {
                tracing::error!(error = %e, "an event could not be written for Redis");
                Err(redis::RedisError::from((redis::ErrorKind::TypeError, "event not serializable")))
            }
        };
        let _ = confirm.send(sent.is_ok());
        if let Err(e) = sent {
            tracing::warn!(error = %e, "Redis publish failed; the other instances will resync once it works");
            status.owed.store(true, Ordering::Relaxed);
        }
    }
}

/// Subscribes to every event channel and to resync notices, within the deadline.
async fn subscribe(client: &redis::Client) -> Result<(PubSubSink, PubSubStream), redis::RedisError> {
    let attempt = async {
        let (mut sink, stream) = client.get_async_pubsub().await?.split();
        sink.psubscribe(format!("{PREFIX}*")).await?;
        sink.subscribe(RESYNC_CHANNEL).await?;
        Ok((sink, stream))
    };
    match tokio::time::timeout(DEADLINE * 2, attempt).await {
        Ok(outcome) => outcome,
        Err(_) => Err(redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut))),
    }
}

/// Relays every event heard on Redis to this instance's subscribers, reconnecting forever.
async fn relay(client: redis::Client, local: Arc<LocalBus>, status: Arc<Status>, instance: String) {
    let mut backoff = MIN_BACKOFF;
    let mut lost = false;
    loop {
        match subscribe(&client).await {
            Ok((sink, stream)) => {
                status.subscribed.store(true, Ordering::Relaxed);
                backoff = MIN_BACKOFF;
                if lost {
                    tracing::info!("Redis bus is back; pages resync from storage");
                    local.resync_all();
                }
                listen(sink, stream, &local, &instance).await;
            }
            Err(e) => tracing::debug!(error = %e, "cannot subscribe on Redis"),
        }
        if !lost || status.subscribed.load(Ordering::Relaxed) {
            tracing::warn!("Redis bus lost; serving this instance's pages alone and reconnecting");
        }
        status.subscribed.store(false, Ordering::Relaxed);
        lost = true;
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Hands on what the subscription hears until the connection ends or stops answering PINGs.
async fn listen(mut sink: PubSubSink, mut stream: PubSubStream, local: &LocalBus, instance: &str) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = stream.next() => {
                let Some(message) = message else { return };
                let Ok(payload) = message.get_payload::<String>() else { continue };
                if message.get_channel_name() == RESYNC_CHANNEL {
                    if payload != instance {
                        tracing::info!("another instance could not publish for a while; pages resync from storage");
                        local.resync_all();
                    }
                    continue;
                }
                match serde_json::from_str::<Relayed>(&payload) {
                    // Delivered locally when it was published.
                    Ok(relayed) if relayed.from == instance => {}
                    Ok(relayed) => {
                        let _ = local.publish(relayed.event);
                    }
                    Err(e) => tracing::warn!(error = %e, "unreadable event on the Redis bus"),
                }
            }
            _ = ping.tick() => {
                match tokio::time::timeout(DEADLINE, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "Redis subscription failed its PING");
                        return;
                    }
                    Err(_) => {
                        tracing::warn!("Redis subscription did not answer a PING in time");
                        return;
                    }
                }
            }
        }
    }
}
