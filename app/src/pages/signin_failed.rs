use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::models::SignInFailure;

/// Where a sign-in that did not complete lands: what happened, in plain words, and a way back.
#[component]
pub fn SignInFailed() -> impl IntoView {
    let query = use_query_map();
    let failure = move || SignInFailure::from_code(&query.read().get("reason").unwrap_or_default());
    view! {
        <Title text="Sign-in did not complete · sev" />
        <section class="card narrow" aria-labelledby="failure-title">
            <h1 id="failure-title">{move || failure().explain().0}</h1>
            <p>{move || failure().explain().1}</p>
            <p class="actions">
                <a class="button twitch" href="/auth/login" rel="external">
                    "Sign in with Twitch"
                </a>
                <a class="button secondary" href="/">
                    "Back to the home page"
                </a>
            </p>
        </section>
    }
}
