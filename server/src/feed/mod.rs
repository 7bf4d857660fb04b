//! The streamer page's WebSocket: a live feed per streamer, with catch-up from storage.
//!
//! Each connection subscribes to the bus *before* reading storage, so no event can fall between the catch-up and
//! the live stream; ids that were already sent are skipped, so none shows twice. A client that stops reading
//! never delays the others: the bus never waits for it, and when it falls behind it gets a fresh catch-up from
//! storage. Pings find dead connections; a client that neither reads nor answers is closed.

pub mod limits;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::ORIGIN;
use http::{HeaderMap, StatusCode};
use tokio::sync::broadcast::error::RecvError;

use app::events::FeedEvent;
use app::feed::{FEED_LENGTH, ServerMessage};

use crate::bus::BusMessage;
use crate::state::AppState;
use crate::storage::{StorageError, StoredEvent};

pub use limits::{Refusal, SocketLimits};

/// How often the server pings; two silent intervals close the connection.
const PING_EVERY: Duration = Duration::from_secs(20);
/// Longest a send may take before the client counts as stalled.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Clients only send pongs and closes: frames are tiny.
const MAX_INCOMING_BYTES: usize = 1024;
/// Each socket's read buffer. tungstenite's default of 128 KiB is zero-filled on the first read, so every open
/// page held 128 KiB of resident memory (`sev-tools load` measured 131 KiB per connection) for reading the pongs and
/// closes of at most [`MAX_INCOMING_BYTES`] that clients send.
const READ_BUFFER_BYTES: usize = 4 * MAX_INCOMING_BYTES;

pub fn routes() -> Router<AppState> {
    Router::new().route("/ws/streamer/{streamer_id}", get(upgrade))
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(app): State<AppState>,
    Path(streamer_id): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let after = match app::feed::resume_after(query.as_deref().unwrap_or_default()) {
        Ok(after) => after,
        Err(why) => return (StatusCode::BAD_REQUEST, why).into_response(),
    };
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if origin != app.settings.origin() {
        tracing::warn!(origin, "WebSocket refused: foreign origin");
        return (StatusCode::FORBIDDEN, "this feed can only be opened from sev's own pages").into_response();
    }
    if streamer_id.is_empty() || streamer_id.len() > 32 || !streamer_id.chars().all(|c| c.is_ascii_digit()) {
        return (StatusCode::BAD_REQUEST, "a streamer id is a Twitch user id: digits only").into_response();
    }
    // Before anything is held for it: a made-up id must cost one indexed lookup, not a channel on the bus.
    match app.db.known_online_state(&streamer_id).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return (StatusCode::NOT_FOUND, "sev does not know this streamer: open their page to look them up")
                .into_response();
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot check a feed's streamer");
            return (StatusCode::SERVICE_UNAVAILABLE, "sev cannot open feeds just now; the page retries")
                .into_response();
        }
    }
    let client = crate::forwarded::client_address(peer, &headers, app.settings.trusted_proxy_hops);
    let permit = match app.sockets.acquire(client) {
        Ok(permit) => permit,
        Err(Refusal::PerAddress) => {
            return (StatusCode::TOO_MANY_REQUESTS, "too many open feeds from this address; close some tabs")
                .into_response();
        }
        Err(Refusal::Full) => {
            tracing::warn!(open = app.sockets.total(), "WebSocket refused: WS_MAX_OPEN feeds are open");
            let headers = [(http::header::RETRY_AFTER, "10")];
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                headers,
                "sev has as many open feeds as it can take; the page retries",
            )
                .into_response();
        }
    };
    let ws = ws.max_message_size(MAX_INCOMING_BYTES).max_frame_size(MAX_INCOMING_BYTES);
    ws.read_buffer_size(READ_BUFFER_BYTES).on_upgrade(move |socket| async move {
        serve(app, socket, streamer_id, after).await;
        drop(permit);
    })
}

/// Sends one message, giving up on a client that does not take it in time.
async fn send(socket: &mut WebSocket, message: &ServerMessage) -> bool {
    let Ok(text) = serde_json::to_string(message) else { return false };
    send_frame(socket, Message::Text(text.into())).await
}

/// Sends one frame within SEND_TIMEOUT; false when the client is gone or too slow.
async fn send_frame(socket: &mut WebSocket, frame: Message) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(frame)).await, Ok(Ok(())))
}

/// The ids a connection has sent lately. Concurrent webhooks can publish a newer event before an older one, so
/// "already sent" is remembered by id rather than inferred from the highest id.
struct Sent {
    recent: VecDeque<i64>,
}

impl Sent {
    const REMEMBERED: usize = 1024;

    fn new() -> Self {
        Sent { recent: VecDeque::new() }
    }

    fn contains(&self, id: i64) -> bool {
        self.recent.contains(&id)
    }

    fn record(&mut self, id: i64) {
        if self.recent.len() == Self::REMEMBERED {
            self.recent.pop_front();
        }
        self.recent.push_back(id);
    }
}

/// Sends the streamer's newest stored events that this connection has not sent (a catch-up). False when the
/// client is gone, or storage failed: then the connection closes and the page reconnects and asks again, rather
/// than silently missing events.
///
/// It sends the newest [`FEED_LENGTH`] rather than "everything after the newest id sent": ids are not delivered in
/// order across instances (during a bus outage each instance delivers only its own events), so a high-water mark
/// would skip an event stored elsewhere under a lower id, and after a long absence the oldest missed events are
/// not what the page shows. The page merges by id and keeps the newest ten, so the newest ten is exactly what it
/// needs, however long it was away and whatever order ids arrived in.
async fn catch_up(app: &AppState, socket: &mut WebSocket, streamer_id: &str, sent: &mut Sent) -> bool {
    let events = match newest(app, streamer_id).await {
        Ok(events) => events,
        Err(e) => {
            tracing::error!(error = %e, "cannot read events for a catch-up");
            return false;
        }
    };
    // Oldest first, as the protocol promises, so a page applying them one by one ends on the newest.
    let events: Vec<_> = events.into_iter().filter(|e| !sent.contains(e.id)).collect();
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    if !send(socket, &ServerMessage::Catchup { events }).await {
        return false;
    }
    for id in ids {
        sent.record(id);
    }
    true
}

/// A stored event, read for the feed: the one place a stored payload becomes an [`app::events::Event`].
pub fn read(row: StoredEvent) -> FeedEvent {
    FeedEvent::read(row.id, row.streamer_id, row.kind, row.version, row.occurred_at, &row.payload)
}

/// The streamer's newest [`FEED_LENGTH`] events, oldest first: from what the bus remembers when it can, else
/// from storage, read once however many pages ask at the same moment (see `bus::recent`).
async fn newest(app: &AppState, streamer_id: &str) -> Result<Vec<FeedEvent>, StorageError> {
    let local = app.bus.local();
    if let Some(events) = local.newest(streamer_id) {
        return Ok(events);
    }
    let load = local.begin_load(streamer_id).await;
    if let Some(events) = local.newest(streamer_id) {
        return Ok(events);
    }
    let stored = app.db.recent_events(streamer_id, FEED_LENGTH as i64).await?;
    Ok(local.loaded(streamer_id, load, stored.into_iter().map(read).collect()))
}

async fn serve(app: AppState, mut socket: WebSocket, streamer_id: String, after: Option<i64>) {
    let mut events = app.bus.subscribe(&streamer_id);
    // Without `after`, the client wants only what happens from now on.
    let mut sent = Sent::new();
    if after.is_some() && !catch_up(&app, &mut socket, &streamer_id, &mut sent).await {
        return;
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut heard = Instant::now();
    let mut going_away = app.going_away.clone();
    loop {
        tokio::select! {
            // Err only when the server is gone without saying so: then the branch is simply off.
            Ok(()) = async { going_away.wait_for(|away| *away).await.map(drop) } => {
                let frame = CloseFrame { code: close_code::AWAY, reason: "sev is restarting; reconnect".into() };
                let _ = send_frame(&mut socket, Message::Close(Some(frame))).await;
                return;
            }
            received = events.recv() => match received {
                Ok(BusMessage::Event(published)) if !sent.contains(published.event.id) => {
                    let id = published.event.id;
                    if !send_frame(&mut socket, Message::Text(published.frame.clone())).await {
                        break;
                    }
                    app.metrics.fanout(published.at.elapsed());
                    sent.record(id);
                }
                Ok(BusMessage::Event(_)) => {}
                Ok(BusMessage::Resync) => {
                    if !catch_up(&app, &mut socket, &streamer_id, &mut sent).await {
                        break;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    // The backlog left in the channel is older than what the catch-up sends (the newest events),
                    // so it is skipped: a page shows only the newest ten.
                    events.resubscribe();
                    tracing::info!(missed, streamer = %streamer_id, "slow feed client caught up");
                    if !catch_up(&app, &mut socket, &streamer_id, &mut sent).await {
                        break;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => heard = Instant::now(),
            },
            _ = ping.tick() => {
                if heard.elapsed() > 2 * PING_EVERY {
                    tracing::debug!("feed client stopped answering pings");
                    break;
                }
                if !send_frame(&mut socket, Message::Ping(Vec::new().into())).await {
                    break;
                }
            }
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}
