//! Server functions: typed calls from the pages to the server. Each is a thin shell over [`crate::backend`].

use leptos::prelude::*;

use crate::models::{FavoriteOutcome, StreamerPageData, Viewer};

#[cfg(feature = "ssr")]
fn backend() -> Result<crate::backend::SharedBackend, ServerFnError> {
    use_context::<crate::backend::SharedBackend>()
        .ok_or_else(|| ServerFnError::new("the server did not provide its backend"))
}

/// Who is signed in, if anyone.
#[server]
pub async fn get_viewer() -> Result<Option<Viewer>, ServerFnError> {
    let headers: http::HeaderMap = leptos_axum::extract().await?;
    backend()?.viewer(&headers).await
}

/// Makes `login` the viewer's favorite streamer, after checking it with Twitch.
#[server]
pub async fn set_favorite(login: String) -> Result<FavoriteOutcome, ServerFnError> {
    let headers: http::HeaderMap = leptos_axum::extract().await?;
    let outcome = backend()?.set_favorite(&headers, login).await?;
    // A browser without JavaScript posted the form itself and expects a page back, so send it on to the
    // streamer; the hydrated page navigates on its own when it sees `Saved`.
    let wants_page =
        headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    if let (true, FavoriteOutcome::Saved { login }) = (wants_page, &outcome) {
        leptos_axum::redirect(&format!("/streamer/{login}"));
    }
    Ok(outcome)
}

/// A streamer's page by login; `None` when Twitch does not know them.
#[server]
pub async fn get_streamer_page(login: String) -> Result<Option<StreamerPageData>, ServerFnError> {
    let headers: http::HeaderMap = leptos_axum::extract().await?;
    backend()?.streamer_page(&headers, login).await
}
