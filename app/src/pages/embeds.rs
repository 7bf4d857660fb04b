use leptos::prelude::*;

/// The Twitch player and chat. Twitch requires every host the page is served on as a `parent`; the player starts
/// muted so browsers let it play by itself; the chat follows the page's light or dark theme.
#[component]
pub fn Embeds(login: String, display_name: String, parents: Vec<String>) -> impl IntoView {
    let parent_query: String = parents.iter().map(|p| format!("&parent={p}")).collect();
    let player = format!("https://player.twitch.tv/?channel={login}{parent_query}&muted=true&autoplay=true");
    let light = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let prefers_light =
            window().match_media("(prefers-color-scheme: light)").ok().flatten().is_some_and(|m| m.matches());
        light.set(prefers_light);
    });
    let chat = move || {
        let theme = if light.get() { "" } else { "&darkpopout" };
        format!("https://www.twitch.tv/embed/{login}/chat?{}{theme}", parent_query.trim_start_matches('&'))
    };
    view! {
        <section class="embeds" aria-label="Stream and chat">
            <div class="player-frame">
                <iframe
                    id="twitch-player"
                    title=format!("{display_name}'s stream")
                    src=player
                    allow="autoplay; fullscreen"
                ></iframe>
            </div>
            <div class="chat-frame">
                <iframe id="twitch-chat" title=format!("{display_name}'s chat") src=chat></iframe>
            </div>
        </section>
    }
    .into_any()
}
