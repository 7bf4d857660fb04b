use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_navigate;

use crate::api::SetFavorite;
use crate::login::normalize_login;
use crate::models::FavoriteOutcome;

/// The "Favorite streamer" form. The browser checks the name first so a typo is caught at once; the server
/// checks it again and asks Twitch whether the streamer exists. Without JavaScript the form still posts to the
/// server function and the server redirects.
#[component]
pub fn FavoriteForm(initial: String) -> impl IntoView {
    let action = ServerAction::<SetFavorite>::new();
    let input = NodeRef::<html::Input>::new();
    let (local_error, set_local_error) = signal(None::<String>);

    let server_error = move || match action.value().get() {
        Some(Ok(FavoriteOutcome::Refused { message })) => Some(message),
        Some(Err(_)) => Some("sev could not save your favorite just now. Please try again.".to_string()),
        _ => None,
    };
    let error = move || local_error.get().or_else(server_error);

    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(FavoriteOutcome::Saved { login })) = action.value().get() {
            navigate(&format!("/streamer/{login}"), Default::default());
        }
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(field) = input.get() else { return };
        match normalize_login(&field.value()) {
            Ok(login) => {
                set_local_error.set(None);
                action.dispatch(SetFavorite { login });
            }
            Err(e) => {
                set_local_error.set(Some(e.to_string()));
                let _ = field.focus();
            }
        }
    };

    view! {
        <form
            class="favorite-form"
            method="post"
            action=SetFavorite::url()
            novalidate
            on:submit=on_submit
        >
            <label for="favorite">"Favorite streamer"</label>
            <div class="field-row">
                <input
                    id="favorite"
                    name="login"
                    type="text"
                    node_ref=input
                    value=initial
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    maxlength="25"
                    required
                    aria-describedby="favorite-hint favorite-error"
                    aria-invalid=move || if error().is_some() { "true" } else { "false" }
                    on:input=move |_| set_local_error.set(None)
                />
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Checking…" } else { "Save" }}
                </button>
            </div>
            <p id="favorite-hint" class="hint">
                "Their Twitch login, as in twitch.tv/"
                <em>"login"</em>
                ": 4 to 25 letters, digits or underscores."
            </p>
            <p id="favorite-error" class="error" role="alert" aria-live="polite">
                {error}
            </p>
        </form>
    }
}
