//! `POST /oauth2/revoke`: an app gives up an access token (sev does this on sign-out).
//!
//! Only the client id is needed, not the secret. Success is a 200 with an empty body, which some
//! HTTP clients trip over when they expect JSON.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::MockTwitch;
use crate::errors::status_message;
use crate::params::Params;

pub(super) async fn revoke_token(
    State(mock): State<MockTwitch>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(params) = Params::from_query_and_form(uri.query(), &headers, &body) else {
        return status_message(StatusCode::BAD_REQUEST, "malformed request parameters");
    };
    let mut store = mock.shared().lock();
    let Some(client_id) = params.get("client_id").filter(|client_id| store.clients.contains_key(*client_id)) else {
        return status_message(StatusCode::NOT_FOUND, "client does not exist");
    };
    let token = params.get("token").unwrap_or("");
    match store.tokens.revoke(client_id, token) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(_) => status_message(StatusCode::BAD_REQUEST, "Invalid token"),
    }
}
