//! Twitch's OAuth service (`https://id.twitch.tv/oauth2/...`): the authorization code flow,
//! client credentials, token validation and revocation.

mod authorize;
mod authorize_page;
mod revoke;
mod token;
mod validate;

use axum::Router;
use axum::routing::{get, post};

use crate::MockTwitch;

pub(crate) fn routes() -> Router<MockTwitch> {
    Router::new()
        .route("/oauth2/authorize", get(authorize::show_consent_page).post(authorize::decide))
        .route("/oauth2/token", post(token::issue_token))
        .route("/oauth2/validate", get(validate::validate_token))
        .route("/oauth2/revoke", post(revoke::revoke_token))
}
