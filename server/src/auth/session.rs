//! Sessions: starting one after a sign-in, finding the viewer behind a request, and ending one.

use http::HeaderMap;

use app::models::Viewer;
use twitch::TokenSet;

use super::cookies;
use super::tokens::{keyed_hash, random_token};
use crate::state::AppState;
use crate::storage::{SessionRecord, StorageError, now};

/// Stores a new session for `user_id` and returns the `Set-Cookie` value that carries it.
pub async fn start(app: &AppState, user_id: &str, tokens: &TokenSet) -> Result<String, StorageError> {
    let token = random_token();
    let now = now();
    let ttl = app.settings.session_ttl.as_secs() as i64;
    app.db
        .insert_session(&SessionRecord {
            id_hash: keyed_hash(app.keys.session.expose(), &token),
            user_id: user_id.to_string(),
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            scopes: tokens.scopes.join(" "),
            created_at: now,
            expires_at: now + ttl,
            validated_at: now,
        })
        .await?;
    Ok(cookies::set(cookies::SESSION, &token, "/", ttl, app.settings.secure_cookies()))
}

/// The stored hash of the request's session cookie, if it has one.
pub fn id_hash(app: &AppState, headers: &HeaderMap) -> Option<String> {
    let token = cookies::read(headers, cookies::SESSION).filter(|t| !t.is_empty())?;
    Some(keyed_hash(app.keys.session.expose(), &token))
}

/// The signed-in viewer behind a request, if any.
pub async fn viewer(app: &AppState, headers: &HeaderMap) -> Result<Option<Viewer>, StorageError> {
    match id_hash(app, headers) {
        Some(hash) => app.db.viewer_for_session(&hash, now()).await,
        None => Ok(None),
    }
}

/// Ends the request's session, if any, and revokes its Twitch token. A Twitch that cannot be reached does not
/// keep the viewer signed in: the session is gone either way, and the failure is logged.
pub async fn end(app: &AppState, headers: &HeaderMap) -> Result<(), StorageError> {
    let Some(hash) = id_hash(app, headers) else {
        return Ok(());
    };
    if let Some(session) = app.db.delete_session(&hash).await? {
        match app.twitch.oauth().revoke(&session.access_token).await {
            Ok(()) => tracing::info!(user_id = %session.user_id, "signed out; token revoked"),
            Err(e) => {
                tracing::warn!(user_id = %session.user_id, error = %e, "signed out; token revocation failed")
            }
        }
    }
    Ok(())
}

/// The `Set-Cookie` value that deletes the session cookie.
pub fn clear_cookie(app: &AppState) -> String {
    cookies::set(cookies::SESSION, "", "/", 0, app.settings.secure_cookies())
}
