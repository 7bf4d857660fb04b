//! Signing in with Twitch and staying signed in.
//!
//! The flow is OAuth's authorization code grant, done server-side with the app's secret (Twitch has no PKCE):
//! `/auth/login` sends the browser to Twitch with a random `state`, `/auth/callback` checks that state, trades
//! the code for tokens, validates them and starts a session, and `POST /auth/logout` ends it and revokes the
//! token. Sessions live in the database; the cookie carries only a random token.

mod cookies;
pub mod revalidate;
pub mod session;
mod sign_in;
mod sign_out;
pub mod state_check;
pub mod tokens;

use axum::Router;
use axum::routing::{get, post};

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use http::HeaderMap;

use crate::state::AppState;

/// `/streamer` with no login: the viewer's favorite, or home when there is none (or nobody is signed in).
async fn favorite_page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let favorite = session::viewer(&app, &headers).await.ok().flatten().and_then(|v| v.favorite);
    match favorite {
        Some(f) => Redirect::to(&format!("/streamer/{}", f.login)).into_response(),
        None => Redirect::to("/").into_response(),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(sign_in::start))
        .route("/auth/connect", get(sign_in::connect))
        .route("/auth/callback", get(sign_in::callback))
        .route("/auth/logout", post(sign_out::sign_out))
        .route("/streamer", get(favorite_page))
}
