//! `POST /oauth2/token`: the authorization code, refresh token and client credentials grants.
//!
//! Twitch reads the parameters from the query string or a form body, and only from there: a
//! client that authenticates with HTTP Basic auth alone is treated as sending no client at all.
//! The JSON shapes are Twitch's, notably `scope` as an array of strings rather than OAuth's
//! space-separated string, which trips up generic OAuth libraries.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::MockTwitch;
use crate::errors::{error_status_message, status_message};
use crate::params::Params;
use crate::state::Store;
use crate::tokens::UserTokens;

pub(super) async fn issue_token(State(mock): State<MockTwitch>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(params) = Params::from_query_and_form(uri.query(), &headers, &body) else {
        return status_message(StatusCode::BAD_REQUEST, "malformed request parameters");
    };
    grant(&mut mock.shared().lock(), &params)
}

fn grant(store: &mut Store, params: &Params) -> Response {
    let client_id = match authenticate_client(store, params) {
        Ok(client_id) => client_id,
        Err(rejection) => return rejection.into_response(),
    };
    let now = store.clock.now();
    match params.get("grant_type") {
        Some("authorization_code") => {
            let code = params.get("code").unwrap_or("");
            let redirect_uri = params.get("redirect_uri");
            match store.tokens.redeem_code(code, &client_id, redirect_uri, now) {
                Some(grant) => {
                    // The user has now connected this client: EventSub checks this, not the tokens.
                    store.authorizations.grant(&client_id, &grant.login, &grant.scopes);
                    let tokens = store.tokens.issue_user_tokens(&client_id, &grant.login, grant.scopes, now);
                    user_tokens_response(tokens)
                }
                None => status_message(StatusCode::BAD_REQUEST, "Invalid authorization code"),
            }
        }
        Some("refresh_token") => {
            let refresh_token = params.get("refresh_token").unwrap_or("");
            match store.tokens.refresh(refresh_token, &client_id, now) {
                Some(tokens) => user_tokens_response(tokens),
                None => error_status_message(StatusCode::BAD_REQUEST, "Invalid refresh token"),
            }
        }
        Some("client_credentials") => {
            let token = store.tokens.issue_app_token(&client_id, now);
            Json(json!({
                "access_token": token.access_token,
                "expires_in": token.expires_in,
                "token_type": "bearer",
            }))
            .into_response()
        }
        Some(_) => status_message(StatusCode::BAD_REQUEST, "unsupported grant_type"),
        None => status_message(StatusCode::BAD_REQUEST, "missing grant_type"),
    }
}

/// Why the client could not be authenticated.
enum ClientRejection {
    /// No `client_id` parameter, or one that is not registered.
    Unknown,
    /// The `client_secret` parameter is missing or wrong.
    WrongSecret,
}

impl IntoResponse for ClientRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Unknown => status_message(StatusCode::BAD_REQUEST, "invalid client"),
            Self::WrongSecret => status_message(StatusCode::FORBIDDEN, "invalid client secret"),
        }
    }
}

/// The registered client named by `client_id`, if `client_secret` is its secret. Both must be
/// request parameters; an `Authorization: Basic` header is ignored, as Twitch ignores it.
fn authenticate_client(store: &Store, params: &Params) -> Result<String, ClientRejection> {
    let client =
        params.get("client_id").and_then(|client_id| store.clients.get(client_id)).ok_or(ClientRejection::Unknown)?;
    if params.get("client_secret") != Some(client.client_secret.as_str()) {
        return Err(ClientRejection::WrongSecret);
    }
    Ok(client.client_id.clone())
}

fn user_tokens_response(tokens: UserTokens) -> Response {
    Json(json!({
        "access_token": tokens.access_token,
        "expires_in": tokens.expires_in,
        "refresh_token": tokens.refresh_token,
        "scope": tokens.scopes,
        "token_type": "bearer",
    }))
    .into_response()
}
