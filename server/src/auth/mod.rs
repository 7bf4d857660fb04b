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

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(sign_in::start))
        .route("/auth/connect", get(sign_in::connect))
        .route("/auth/callback", get(sign_in::callback))
        .route("/auth/logout", post(sign_out::sign_out))
}
