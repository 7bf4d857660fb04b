use leptos::prelude::*;

use super::time_text;
use crate::events::{EventCategory, FeedEvent};

/// The state of the feed socket, shown next to the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum SocketState {
    /// Server-rendered, before the WASM runs (or without JavaScript): nothing to say.
    Static,
    Connecting,
    Open,
    Reconnecting,
}

impl SocketState {
    fn text(self) -> &'static str {
        match self {
            SocketState::Static => "",
            SocketState::Connecting => "connecting…",
            SocketState::Open => "live",
            SocketState::Reconnecting => "reconnecting…",
        }
    }
}

/// The signals the feed socket updates.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct FeedView {
    /// Shown events, newest first.
    pub items: RwSignal<Vec<FeedEvent>>,
    /// Ids that just arrived, highlighted for a moment.
    pub fresh: RwSignal<Vec<i64>>,
    pub socket: RwSignal<SocketState>,
    /// Whether the streamer's stream is online, for the badge at the top of the page.
    pub online: RwSignal<bool>,
    /// The event time of the online/offline that set `online`: an older one arriving late changes nothing.
    pub online_changed: RwSignal<i64>,
}

/// The feed: server-rendered from storage so it is right on first paint, then kept live over a WebSocket.
#[component]
pub fn Feed(
    streamer_id: String,
    streamer_name: String,
    events: Vec<FeedEvent>,
    connected: bool,
    now_ms: i64,
    online: RwSignal<bool>,
    online_changed: RwSignal<i64>,
) -> impl IntoView {
    let items = RwSignal::new(events);
    let fresh = RwSignal::new(Vec::<i64>::new());
    let socket = RwSignal::new(SocketState::Static);
    let now = RwSignal::new(now_ms);

    #[cfg(feature = "hydrate")]
    {
        let streamer_id = streamer_id.clone();
        Effect::new(move |ran: Option<()>| {
            if ran.is_none() {
                super::feed_socket::start(
                    streamer_id.clone(),
                    FeedView { items, fresh, socket, online, online_changed },
                    now,
                );
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (&streamer_id, online, online_changed);

    let empty_text = format!(
        "Nothing yet. {streamer_name}'s events appear here the moment they happen: going live, new titles and raids{}",
        if connected {
            ", follows, subs, cheers, rewards, hype trains, polls and predictions."
        } else {
            ". Follows, subs and cheers need the streamer to connect their channel."
        }
    );

    view! {
        <section class="card" aria-labelledby="feed-title">
            <div class="feed-head">
                <h2 id="feed-title">"Recent events"</h2>
                <p
                    class="feed-status"
                    role="status"
                    data-state=move || format!("{:?}", socket.get()).to_lowercase()
                >
                    {move || socket.get().text()}
                </p>
            </div>
            <Show when=move || items.with(Vec::is_empty)>
                <p class="empty-feed">{empty_text.clone()}</p>
            </Show>
            <ol class="feed" aria-label="Recent events">
                <For each=move || items.get() key=|e| e.id let:event>
                    <FeedItem event now fresh />
                </For>
            </ol>
        </section>
    }
    .into_any()
}

#[component]
fn FeedItem(event: FeedEvent, now: RwSignal<i64>, fresh: RwSignal<Vec<i64>>) -> impl IntoView {
    let category: EventCategory = event.category();
    let id = event.id;
    let at = event.occurred_at_ms;
    let class = move || {
        let base = format!("feed-item cat-{}", category.key());
        if fresh.with(|f| f.contains(&id)) { format!("{base} fresh") } else { base }
    };
    view! {
        <li class=class data-event-id=id.to_string() data-type=event.subscription_type.clone()>
            <span class="feed-icon" aria-hidden="true">
                {category.icon()}
            </span>
            <span class="feed-label">{category.label()}</span>
            <span class="feed-summary">{event.summary()}</span>
            <time class="feed-time" datetime=time_text::iso(at) title=time_text::exact(at)>
                {move || time_text::relative(at, now.get())}
            </time>
        </li>
    }
    .into_any()
}
