use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::embeds::Embeds;
use super::feed::Feed;
use super::not_found::NotFound;
use crate::api::get_streamer_page;
use crate::models::StreamerPageData;

/// A streamer's page: who they are, whether they are live, what sev listens to, and their latest events.
#[component]
pub fn StreamerPage() -> impl IntoView {
    let params = use_params_map();
    let login = move || params.read().get("login").unwrap_or_default();
    let page = Resource::new(login, get_streamer_page);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(data)) => view! { <Streamer data /> }.into_any(),
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(_) => {
                        view! {
                            <section class="card narrow" role="alert">
                                <h1>"This streamer could not be loaded"</h1>
                                <p>"Twitch may be slow. Please reload in a moment."</p>
                                <p>
                                    <a class="button secondary" href="/">
                                        "Back to the home page"
                                    </a>
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The page around one streamer. Each part is its own component whose view type is erased (`into_any`): the
/// nested type of the whole page was deep enough that the release build of the WASM overflowed rustc's query depth
/// limit, and erased parts also compile faster and to less code.
#[component]
fn Streamer(data: StreamerPageData) -> impl IntoView {
    let StreamerPageData {
        profile,
        online,
        online_changed_at_ms,
        connected,
        problem,
        events,
        now_ms,
        embed_parents,
        viewer_is_streamer,
        demo,
    } = data;
    let online = RwSignal::new(online);
    let online_changed = RwSignal::new(online_changed_at_ms);
    let name = profile.display_name.clone();
    view! {
        <Title text=format!("{name} · sev") />
        <StreamerHead
            display_name=name.clone()
            login=profile.login.clone()
            image=profile.profile_image_url.clone()
            online
        />
        {problem.map(|problem| view! { <p class="notice problem" role="alert">{problem}</p> })}
        <div class="streamer-layout">
            <Embeds login=profile.login.clone() display_name=name.clone() parents=embed_parents />
            <Feed
                streamer_id=profile.twitch_id
                streamer_name=name.clone()
                events
                connected
                now_ms
                online
                online_changed
            />
        </div>
        <WhatYouSee name login=profile.login connected viewer_is_streamer demo />
    }
    .into_any()
}

/// Who the streamer is, and whether their stream is online right now (kept current by the feed).
#[component]
fn StreamerHead(display_name: String, login: String, image: String, online: RwSignal<bool>) -> impl IntoView {
    view! {
        <section class="card streamer-head" aria-labelledby="streamer-name">
            <img class="avatar large" src=image alt="" width="72" height="72" />
            <div class="streamer-title">
                <h1 id="streamer-name">{display_name}</h1>
                <p class="muted">
                    "twitch.tv/" {login} " · "
                    <span
                        class=move || if online.get() { "live-badge on" } else { "live-badge" }
                        data-testid="live-state"
                    >
                        {move || if online.get() { "Live" } else { "Offline" }}
                    </span>
                </p>
            </div>
            <a class="button secondary" href="/">
                "Change favorite"
            </a>
        </section>
    }
    .into_any()
}

/// Which events the feed can show, and the streamer's own "Connect your channel" button.
#[component]
fn WhatYouSee(name: String, login: String, connected: bool, viewer_is_streamer: bool, demo: bool) -> impl IntoView {
    let coverage = if connected {
        view! {
            <p>
                {name.clone()}
                " connected their channel, so follows, subs, gifted subs, cheers, channel-point rewards, hype trains, polls, predictions, ad breaks and shoutouts appear too."
            </p>
        }
        .into_any()
    } else {
        view! {
            <p>
                "Follows, subs, cheers, channel-point rewards, hype trains, polls and predictions appear once "
                {name.clone()} " connects their channel to sev."
            </p>
        }
        .into_any()
    };
    let connect = (viewer_is_streamer && !connected).then(|| {
        view! {
            <p class="public-notice" data-testid="public-notice">
                <strong>"These events are public on sev. "</strong>
                "Once you connect, anyone who opens this page sees them: the names of your followers, subscribers, gifters and cheerers, cheer and subscription messages, and the text viewers type into channel-point rewards. "
                "You can disconnect at any time in your Twitch settings (Connections)."
            </p>
            <p>
                <a class="button twitch" href="/auth/connect" rel="external">
                    "Connect your channel"
                </a>
            </p>
        }
    });
    let fill = demo.then(|| {
        view! {
            <form method="post" action=format!("/demo/fill/{login}") class="demo-fill">
                <button type="submit" class="button secondary">
                    "Fill the feed with demo events"
                </button>
                <span class="hint">" Demo mode: the mock Twitch sends a burst of realistic events."</span>
            </form>
        }
    });
    view! {
        <section class="card" aria-labelledby="what-you-see">
            <h2 id="what-you-see">"What you will see"</h2>
            <p>
                "sev shows when " {name} " goes live or offline, changes the title or category, and raids or is raided."
            </p>
            {coverage}
            {connect}
            {fill}
        </section>
    }
    .into_any()
}
