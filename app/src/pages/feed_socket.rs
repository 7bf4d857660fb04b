//! The browser side of the live feed: one WebSocket, reconnected with exponential backoff and jitter after any
//! drop (a server restart included), resuming after the newest event shown so nothing is lost or shown twice.
//! No timer makes HTTP requests: the only periodic work is re-rendering "2 min ago".
//!
//! Both stop when the feed leaves the page (in-app navigation to another page disposes it): otherwise each
//! streamer page visited in a tab would leave its socket open, counting against the per-address cap and
//! reconnecting into disposed signals.

use futures::StreamExt;
use futures::channel::oneshot;
use futures::future::{Either, select};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;

use super::feed::{FeedView, SocketState};
use crate::events::{Event, FeedEvent};
use crate::feed::{ServerMessage, merge, socket_path};

const FIRST_DELAY_MS: f64 = 500.0;
const MAX_DELAY_MS: f64 = 15_000.0;
/// The close code of a server that is shutting down ("going away").
const GOING_AWAY: u16 = 1001;
/// After a going-away close, pages come back within this window, spread evenly: an instance that stops sends
/// all its pages to the others at once, and two seconds turns that spike into a ramp they can take (each
/// catch-up is then answered from memory, see the server's `bus::recent`).
const GOING_AWAY_SPREAD_MS: f64 = 2_000.0;
/// The least wait after a going-away close.
const GOING_AWAY_FIRST_MS: f64 = 100.0;
/// How long a new event stays highlighted.
const FRESH_MS: u32 = 2_500;

fn socket_url(path: &str) -> Option<String> {
    let location = window().location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}{path}", location.host().ok()?))
}

/// Starts the socket loop and the clock that keeps relative times current, and stops both when the current
/// owner (the feed) is cleaned up.
pub fn start(streamer_id: String, view: FeedView, now: RwSignal<i64>) {
    now.set(js_sys::Date::now() as i64);
    let clock =
        set_interval_with_handle(move || now.set(js_sys::Date::now() as i64), std::time::Duration::from_secs(15)).ok();
    let (stop, stopped) = oneshot::channel::<()>();
    leptos::task::spawn_local(run(streamer_id, view, stopped));
    let stop = std::sync::Mutex::new(Some(stop));
    on_cleanup(move || {
        if let Some(clock) = clock {
            clock.clear();
        }
        if let Some(stop) = stop.lock().ok().and_then(|mut s| s.take()) {
            let _ = stop.send(());
        }
    });
}

/// Shows events that arrived: adds the new ones, highlights them for a moment, and follows going live or offline
/// by event time, so an offline that overtook its online still leaves the badge on "Offline".
fn apply(events: Vec<FeedEvent>, FeedView { items, fresh, online, online_changed, .. }: FeedView) {
    for e in &events {
        let now_online = match e.event {
            Event::StreamOnline { .. } => true,
            Event::StreamOffline => false,
            _ => continue,
        };
        if e.occurred_at_ms >= online_changed.get_untracked() {
            online_changed.set(e.occurred_at_ms);
            online.set(now_online);
        }
    }
    let mut added = Vec::new();
    items.update(|list| added = merge(list, events));
    if !added.is_empty() {
        fresh.update(|f| f.extend(added.iter().copied()));
        leptos::task::spawn_local(async move {
            TimeoutFuture::new(FRESH_MS).await;
            // The feed may have left the page meanwhile.
            fresh.try_update(|f| f.retain(|id| !added.contains(id)));
        });
    }
}

/// Keeps the feed connected until `stopped` resolves (the feed left the page), then closes the socket, by
/// dropping it, and returns before touching any signal again.
async fn run(streamer_id: String, view: FeedView, mut stopped: oneshot::Receiver<()>) {
    let FeedView { items, socket: state, .. } = view;
    let mut failures: i32 = 0;
    let mut going_away = false;
    loop {
        state.set(if failures == 0 { SocketState::Connecting } else { SocketState::Reconnecting });
        let after = items.with_untracked(|list| list.first().map_or(0, |e| e.id));
        let url = socket_url(&socket_path(&streamer_id, Some(after)));
        if let Some(Ok(mut socket)) = url.map(|u| WebSocket::open(&u)) {
            loop {
                let message = match select(socket.next(), &mut stopped).await {
                    Either::Left((Some(message), _)) => message,
                    Either::Left((None, _)) => break,
                    Either::Right(_) => return,
                };
                let text = match message {
                    Ok(Message::Text(text)) => text,
                    // The instance is shutting down on purpose: another one can take the page right away.
                    Err(WebSocketError::ConnectionClose(close)) if close.code == GOING_AWAY => {
                        going_away = true;
                        break;
                    }
                    _ => break,
                };
                let Ok(parsed) = serde_json::from_str::<ServerMessage>(&text) else { continue };
                state.set(SocketState::Open);
                failures = 0;
                match parsed {
                    ServerMessage::Catchup { events } => apply(events, view),
                    ServerMessage::Event { event } => apply(vec![*event], view),
                }
            }
        }
        state.set(SocketState::Reconnecting);
        failures = failures.saturating_add(1);
        let delay = if std::mem::take(&mut going_away) {
            // Another instance can take the page at once; only the spread keeps the fleet out of lockstep.
            GOING_AWAY_FIRST_MS + GOING_AWAY_SPREAD_MS * js_sys::Math::random()
        } else {
            // Jitter over three quarters of the delay, so pages that lost the same instance come back spread out.
            let backoff = (FIRST_DELAY_MS * 2f64.powi(failures - 1)).min(MAX_DELAY_MS);
            backoff * (0.25 + 0.75 * js_sys::Math::random())
        };
        if let Either::Right(_) = select(TimeoutFuture::new(delay as u32), &mut stopped).await {
            return;
        }
    }
}
