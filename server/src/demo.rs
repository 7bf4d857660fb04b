//! Demo mode's extras: one click fills a streamer's feed with realistic events, sent by the in-process mock
//! Twitch through the real webhook path (signed, verified, stored, published).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::StatusCode;
use http::header::LOCATION;

use app::login::normalize_login;

use crate::state::AppState;

/// How many events one click sends.
const FILL_COUNT: usize = 12;

pub fn routes() -> Router<AppState> {
    Router::new().route("/demo/fill/{login}", post(fill))
}

async fn fill(State(app): State<AppState>, Path(login): Path<String>) -> Response {
    let Some(mock) = app.demo.as_ref() else {
        return (StatusCode::NOT_FOUND, "demo mode is off: sev is connected to real Twitch").into_response();
    };
    let Ok(login) = normalize_login(&login) else {
        return (StatusCode::BAD_REQUEST, "not a Twitch login").into_response();
    };
    let delivered = mock.fill_feed(&login, FILL_COUNT).await;
    tracing::info!(streamer = %login, delivered, "demo events sent");
    (StatusCode::SEE_OTHER, [(LOCATION, format!("/streamer/{login}"))]).into_response()
}
