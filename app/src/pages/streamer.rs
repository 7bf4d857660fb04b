use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::not_found::NotFound;
use crate::api::get_streamer;

/// A streamer's page. For now: who they are; the player, chat and live event feed come next.
#[component]
pub fn StreamerPage() -> impl IntoView {
    let params = use_params_map();
    let login = move || params.read().get("login").unwrap_or_default();
    let streamer = Resource::new(login, get_streamer);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match streamer.await {
                    Ok(Some(s)) => {
                        view! {
                            <Title text=format!("{} · sev", s.display_name) />
                            <section class="card streamer-head" aria-labelledby="streamer-name">
                                <img
                                    class="avatar large"
                                    src=s.profile_image_url.clone()
                                    alt=""
                                    width="72"
                                    height="72"
                                />
                                <div>
                                    <h1 id="streamer-name">{s.display_name.clone()}</h1>
                                    <p class="muted">"twitch.tv/" {s.login.clone()}</p>
                                </div>
                            </section>
                            <p>
                                <a href="/">"Change your favorite"</a>
                            </p>
                        }
                            .into_any()
                    }
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
