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

#[component]
fn Streamer(data: StreamerPageData) -> impl IntoView {
    let p = data.profile.clone();
    let name = p.display_name.clone();
    let live = RwSignal::new(data.live);
    view! {
        <Title text=format!("{} · sev", p.display_name) />
        <section class="card streamer-head" aria-labelledby="streamer-name">
            <img class="avatar large" src=p.profile_image_url.clone() alt="" width="72" height="72" />
            <div class="streamer-title">
                <h1 id="streamer-name">{p.display_name.clone()}</h1>
                <p class="muted">
                    "twitch.tv/" {p.login.clone()} " · "
                    <span
                        class=move || if live.get() { "live-badge on" } else { "live-badge" }
                        data-testid="live-state"
                    >
                        {move || if live.get() { "Live" } else { "Offline" }}
                    </span>
                </p>
            </div>
            <a class="button secondary" href="/">
                "Change favorite"
            </a>
        </section>
        {data.problem.clone().map(|problem| view! { <p class="notice problem" role="alert">{problem}</p> })}
        <div class="streamer-layout">
            <Embeds login=p.login.clone() display_name=name.clone() parents=data.embed_parents.clone() />
            <Feed
                streamer_id=p.twitch_id.clone()
                streamer_name=name.clone()
                events=data.events.clone()
                connected=data.connected
                now_ms=data.now_ms
                live
            />
        </div>
        <section class="card" aria-labelledby="what-you-see">
            <h2 id="what-you-see">"What you will see"</h2>
            <p>
                "sev shows when " {name.clone()}
                " goes live or offline, changes the title or category, and raids or is raided."
            </p>
            {if data.connected {
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
            }}
            {(data.viewer_is_streamer && !data.connected)
                .then(|| {
                    view! {
                        <p>
                            <a class="button twitch" href="/auth/connect" rel="external">
                                "Connect your channel"
                            </a>
                        </p>
                    }
                })}
            {data
                .demo
                .then(|| {
                    view! {
                        <form method="post" action=format!("/demo/fill/{}", p.login) class="demo-fill">
                            <button type="submit" class="button secondary">
                                "Fill the feed with demo events"
                            </button>
                            <span class="hint">" Demo mode: the mock Twitch sends a burst of realistic events."</span>
                        </form>
                    }
                })}
        </section>
    }
}
