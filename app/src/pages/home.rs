use leptos::prelude::*;

use super::favorite_form::FavoriteForm;
use crate::api::get_viewer;
use crate::models::Viewer;

/// The home page: what sev is and a sign-in button, or, signed in, the viewer and their favorite streamer.
#[component]
pub fn HomePage() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| get_viewer());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(viewer)) => view! { <SignedIn viewer /> }.into_any(),
                    Ok(None) => view! { <SignedOut /> }.into_any(),
                    Err(_) => {
                        view! {
                            <section class="card narrow" role="alert">
                                <h1>"sev is having trouble"</h1>
                                <p>"Your session could not be loaded. Please reload the page in a moment."</p>
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
fn SignedOut() -> impl IntoView {
    view! {
        <section class="hero" aria-labelledby="hero-title">
            <h1 id="hero-title">"Everything your favorite streamer does, as it happens."</h1>
            <p class="lead">
                "Pick a Twitch streamer and sev shows their stream, their chat and their latest events: going live, raids, new titles, and, once they connect their channel, follows, subs, cheers, hype trains, polls and predictions."
            </p>
            <p>
                <a class="button twitch" href="/auth/login" rel="external">
                    "Sign in with Twitch"
                </a>
            </p>
            <p class="fine-print">
                "sev asks Twitch only who you are. It never posts, follows or chats for you."
            </p>
        </section>
    }
    .into_any()
}

#[component]
fn SignedIn(viewer: Viewer) -> impl IntoView {
    let favorite_login = viewer.favorite.as_ref().map(|f| f.login.clone()).unwrap_or_default();
    let favorite = viewer.favorite.clone();
    view! {
        <section class="card" aria-labelledby="welcome">
            <div class="viewer">
                <img
                    class="avatar"
                    src=viewer.profile_image_url.clone()
                    alt=""
                    width="56"
                    height="56"
                />
                <div class="viewer-name">
                    <h1 id="welcome">
                        "Hi, " <span data-testid="viewer-name">{viewer.display_name.clone()}</span>
                    </h1>
                    <p class="muted">"Signed in with Twitch as " {viewer.login.clone()}</p>
                </div>
                <form method="post" action="/auth/logout" class="sign-out">
                    <button type="submit" class="button secondary">
                        "Sign out"
                    </button>
                </form>
            </div>
            <FavoriteForm initial=favorite_login />
            {favorite
                .map(|f| {
                    view! {
                        <p class="current-favorite">
                            "Your favorite: "
                            <a href=format!("/streamer/{}", f.login)>{f.display_name}</a>
                        </p>
                    }
                })}
        </section>
    }
    .into_any()
}
