//! The EventSub webhook callback: where Twitch posts verification challenges, notifications and revocations.

mod ingest;
mod rejection;
mod webhook;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;

use crate::config::CALLBACK_PATH;
use crate::state::AppState;

pub use ingest::{Notification, dedupe_key};
pub use rejection::WebhookRejection;

/// Twitch's messages are a few kilobytes; anything much larger is not from Twitch.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How old a message may be before it counts as a replay (Twitch's advice: ten minutes).
pub const MAX_AGE_MS: i64 = 10 * 60 * 1000;

/// How far in the future a timestamp may be, for clock skew between Twitch and this host.
pub const MAX_SKEW_MS: i64 = 60 * 1000;

pub fn routes() -> Router<AppState> {
    Router::new().route(CALLBACK_PATH, post(webhook::receive).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)))
}
