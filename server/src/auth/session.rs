//! Sessions: starting one after a sign-in, finding the viewer behind a request, and ending one.

use http::HeaderMap;

use app::models::Viewer;

use super::cookies;
use super::tokens::{keyed_hash, random_token};
use crate::state::AppState;
use crate::storage::{SessionRecord, StorageError, now};

/// Stores a new session for `user_id` and returns the `Set-Cookie` value that carries it.
///
/// The session holds no Twitch token: signing in asks for no scopes and sev acts for no viewer afterwards, so a
/// token kept would be a credential to steal and to validate hourly for nothing (the sign-in revokes it at once).
/// With nothing to validate, it is marked validated until it expires. A viewer who withdraws sev's access at
/// Twitch is signed out by the `user.authorization.revoke` notification instead.
pub async fn start(app: &AppState, user_id: &str) -> Result<String, StorageError> {
    let token = random_token();
    let now = now();
    let ttl = app.settings.session_ttl.as_secs() as i64;
    app.db
        .insert_session(&SessionRecord {
            id_hash: keyed_hash(app.keys.session.expose(), &token),
            user_id: user_id.to_string(),
            access_token: String::new(),
            refresh_token: None,
            scopes: String::new(),
            created_at: now,
            expires_at: now + ttl,
            validated_at: now + ttl,
        })
        .await?;
    Ok(cookies::set(cookies::Jar::Session, &token, ttl, app.settings.secure_cookies()))
}

/// Revokes a token sev no longer needs, in the background: a Twitch that is slow or down delays no one, and the
/// token expires on its own anyway.
pub fn revoke_later(app: &AppState, access_token: String) {
    let twitch = app.twitch.clone();
    tokio::spawn(async move {
        if let Err(e) = twitch.oauth().revoke(&access_token).await {
            tracing::warn!(error = %e, "could not revoke a token sev no longer needs");
        }
    });
}

/// The stored hash of the request's session cookie, if it has one.
pub fn id_hash(app: &AppState, headers: &HeaderMap) -> Option<String> {
    let token =
        cookies::read(headers, cookies::Jar::Session, app.settings.secure_cookies()).filter(|t| !t.is_empty())?;
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
    if let Some(session) = app.db.delete_session(&hash).await?
        && !session.access_token.is_empty()
    {
        // A session from before sev stopped keeping tokens.
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
    cookies::set(cookies::Jar::Session, "", 0, app.settings.secure_cookies())
}
