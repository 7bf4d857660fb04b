//! The browser side of the live feed: one WebSocket, reconnected with exponential backoff and jitter after any
//! drop (a server restart included), resuming after the newest event shown so nothing is lost or shown twice.
//! No timer makes HTTP requests: the only periodic work is re-rendering "2 min ago".

use futures::StreamExt;
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;

use super::feed::{Connection, FeedView};
use crate::events::FeedEvent;
use crate::live::{ServerMessage, merge, socket_path};

const FIRST_DELAY_MS: f64 = 500.0;
const MAX_DELAY_MS: f64 = 15_000.0;
/// How long a new event stays highlighted.
const FRESH_MS: u32 = 2_500;

fn socket_url(path: &str) -> Option<String> {
    let location = window().location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}{path}", location.host().ok()?))
}

/// Starts the connection loop and the clock that keeps relative times current.
pub fn start(streamer_id: String, view: FeedView, now: RwSignal<i64>) {
    now.set(js_sys::Date::now() as i64);
    let _ = set_interval_with_handle(move || now.set(js_sys::Date::now() as i64), std::time::Duration::from_secs(15));
    leptos::task::spawn_local(run(streamer_id, view));
}

/// Shows events that arrived: adds the new ones, highlights them for a moment, and follows going live or offline.
fn apply(events: Vec<FeedEvent>, FeedView { items, fresh, live, .. }: FeedView) {
    for e in &events {
        match e.subscription_type.as_str() {
            "stream.online" => live.set(true),
            "stream.offline" => live.set(false),
            _ => {}
        }
    }
    let mut added = Vec::new();
    items.update(|list| added = merge(list, events));
    if !added.is_empty() {
        fresh.update(|f| f.extend(added.iter().copied()));
        leptos::task::spawn_local(async move {
            TimeoutFuture::new(FRESH_MS).await;
            fresh.update(|f| f.retain(|id| !added.contains(id)));
        });
    }
}

async fn run(streamer_id: String, view: FeedView) {
    let FeedView { items, connection, .. } = view;
    let mut failures: i32 = 0;
    loop {
        connection.set(if failures == 0 { Connection::Connecting } else { Connection::Reconnecting });
        let after = items.with_untracked(|list| list.first().map_or(0, |e| e.id));
        let url = socket_url(&socket_path(&streamer_id, Some(after)));
        if let Some(Ok(mut socket)) = url.map(|u| WebSocket::open(&u)) {
            while let Some(message) = socket.next().await {
                let Ok(Message::Text(text)) = message else { break };
                let Ok(parsed) = serde_json::from_str::<ServerMessage>(&text) else { continue };
                connection.set(Connection::Live);
                failures = 0;
                match parsed {
                    ServerMessage::Catchup { events } => apply(events, view),
                    ServerMessage::Event { event } => apply(vec![*event], view),
                }
            }
        }
        connection.set(Connection::Reconnecting);
        failures = failures.saturating_add(1);
        let backoff = (FIRST_DELAY_MS * 2f64.powi(failures - 1)).min(MAX_DELAY_MS);
        // Full jitter on half the delay, so a fleet of pages does not reconnect in lockstep after a restart.
        let delay = backoff * (0.5 + 0.5 * js_sys::Math::random());
        TimeoutFuture::new(delay as u32).await;
    }
}
