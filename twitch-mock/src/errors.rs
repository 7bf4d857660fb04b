//! Twitch's JSON error bodies.
//!
//! Twitch uses two shapes and clients parse both, so the mock must pick the right one per
//! endpoint:
//! - the OAuth service mostly answers `{"status":400,"message":"..."}`;
//! - Helix (and the OAuth refresh grant) add the reason phrase:
//!   `{"error":"Bad Request","status":400,"message":"..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `{"status", "message"}`: the OAuth service's usual error.
pub(crate) fn status_message(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "status": status.as_u16(), "message": message }))).into_response()
}

/// `{"error", "status", "message"}`, where `error` is the status's reason phrase: Helix's error.
pub(crate) fn error_status_message(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({
            "error": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "message": message,
        })),
    )
        .into_response()
}
