use leptos::prelude::*;

use crate::events::FeedEvent;

/// The feed: the newest events, newest first. Rendered on the server so it is right on first paint.
#[component]
pub fn Feed(streamer_name: String, events: Vec<FeedEvent>, connected: bool) -> impl IntoView {
    let empty = events.is_empty();
    view! {
        <section class="card" aria-labelledby="feed-title">
            <h2 id="feed-title">"Recent events"</h2>
            {empty
                .then(|| {
                    view! {
                        <p class="empty-feed">
                            "Nothing yet. " {streamer_name.clone()}
                            "'s events appear here the moment they happen: going live, new titles and raids"
                            {if connected { ", follows, subs, cheers and more." } else { "." }}
                        </p>
                    }
                })}
            <ol class="feed" aria-label="Recent events">
                {events.into_iter().map(|e| view! { <FeedItem event=e /> }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn FeedItem(event: FeedEvent) -> impl IntoView {
    let category = event.category();
    view! {
        <li class=format!("feed-item cat-{}", category.key()) data-event-id=event.id.to_string()>
            <span class="feed-icon" aria-hidden="true">
                {category.icon()}
            </span>
            <span class="feed-label">{category.label()}</span>
            <span class="feed-summary">{event.summary()}</span>
        </li>
    }
}
