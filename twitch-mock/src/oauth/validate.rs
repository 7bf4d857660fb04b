//! `GET /oauth2/validate`: what an access token is worth right now.
//!
//! Twitch requires apps to call this at start-up and hourly and to end sessions whose token fails,
//! so sev calls it often and the mock must say exactly what Twitch says: `login` and `user_id`
//! only for user tokens, `expires_in` counting down, and a 401 for anything not valid.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::MockTwitch;
use crate::errors::status_message;
use crate::tokens::presented_token;
use twitch_testkit::people::user_id_for;

pub(super) async fn validate_token(State(mock): State<MockTwitch>, headers: HeaderMap) -> Response {
    let owner = presented_token(&headers, &["OAuth", "Bearer"]).and_then(|token| {
        let store = mock.shared().lock();
        store.tokens.validate(token, store.clock.now())
    });
    let Some(owner) = owner else {
        return status_message(StatusCode::UNAUTHORIZED, "invalid access token");
    };
    let body = match &owner.login {
        Some(login) => json!({
            "client_id": owner.client_id,
            "login": login,
            "scopes": owner.scopes,
            "user_id": user_id_for(login),
            "expires_in": owner.expires_in,
        }),
        None => json!({
            "client_id": owner.client_id,
            "scopes": owner.scopes,
            "expires_in": owner.expires_in,
        }),
    };
    Json(body).into_response()
}
