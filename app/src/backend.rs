//! The server half of the server functions, as a trait the server crate implements. Keeping it a trait means
//! this crate knows nothing of sqlx, sessions or the Twitch client, and the server's implementation can be read
//! in one place.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::HeaderMap;
use leptos::prelude::ServerFnError;

use crate::models::{FavoriteOutcome, StreamerPageData, Viewer};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the pages need from the server. `headers` are the request's headers, from which the session cookie is
/// read.
pub trait Backend: Send + Sync + 'static {
    /// The signed-in viewer, or `None` when the request carries no live session.
    fn viewer<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, Result<Option<Viewer>, ServerFnError>>;

    /// Checks `login` with Twitch and stores it as the viewer's favorite.
    fn set_favorite<'a>(
        &'a self,
        headers: &'a HeaderMap,
        login: String,
    ) -> BoxFuture<'a, Result<FavoriteOutcome, ServerFnError>>;

    /// A streamer's page: profile (from storage, or else from Twitch), state and recent events; `None` when
    /// Twitch does not know the login.
    fn streamer_page<'a>(
        &'a self,
        headers: &'a HeaderMap,
        login: String,
    ) -> BoxFuture<'a, Result<Option<StreamerPageData>, ServerFnError>>;
}

/// The form in which the backend is put into Leptos's context.
pub type SharedBackend = Arc<dyn Backend>;
