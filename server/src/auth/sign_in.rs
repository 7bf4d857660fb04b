//! `/auth/login` and `/auth/callback`.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::header::{LOCATION, SET_COOKIE};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use app::models::SignInFailure;
use twitch::TwitchError;

use super::state_check::{self, STATE_LIFETIME_SECS};
use super::tokens::{keyed_hash, random_token};
use super::{cookies, session};
use crate::state::AppState;
use crate::storage::{UserRecord, now};

/// A 303 to `location` that sets `cookies`.
pub(super) fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, location.to_string())]).into_response();
    for c in cookies {
        if let Ok(value) = c.parse() {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

fn failure_page(failure: SignInFailure, cookies: &[String]) -> Response {
    see_other(&format!("/signin/failed?reason={}", failure.code()), cookies)
}

/// What an authorization is for.
const SIGN_IN: &str = "sign_in";
const CONNECT: &str = "connect";

/// Starts a sign-in: a fresh state, remembered server-side and in a cookie, then off to Twitch. Sign-in needs no
/// scopes: sev only asks who the viewer is.
///
/// After a sign-out in this browser, Twitch is asked to show its consent page again (`force_verify`), so whoever
/// uses the computer next must choose their account rather than be signed in as the last person by one click.
pub async fn start(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let secure = app.settings.secure_cookies();
    if cookies::read(&headers, cookies::Jar::SignedOut, secure).is_some() {
        let forgotten = cookies::set(cookies::Jar::SignedOut, "", 0, secure);
        begin(&app, SIGN_IN, &[], Some(forgotten)).await
    } else {
        begin(&app, SIGN_IN, &[], None).await
    }
}

/// "Connect your channel": a signed-in streamer grants sev the broadcaster scopes its private events need.
pub async fn connect(State(app): State<AppState>, headers: HeaderMap) -> Response {
    match session::viewer(&app, &headers).await {
        Ok(Some(_)) => {
            let scopes = twitch::eventsub::catalog::connect_scopes();
            begin(&app, CONNECT, &scopes, None).await
        }
        Ok(None) => see_other("/auth/login", &[]),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the session");
            failure_page(SignInFailure::Unexpected, &[])
        }
    }
}

/// Sends the browser to Twitch with a fresh state. `signed_out` is the cookie that forgets a sign-out, when the
/// browser carried one: Twitch is then asked to show its consent page (`force_verify`), as it always is for a
/// channel connection.
async fn begin(app: &AppState, purpose: &str, scopes: &[&str], signed_out: Option<String>) -> Response {
    let force_verify = purpose == CONNECT || signed_out.is_some();
    let state = random_token();
    let now = now();
    let hash = keyed_hash(app.keys.session.expose(), &state);
    if let Err(e) = app.db.insert_oauth_state(&hash, purpose, now, now + STATE_LIFETIME_SECS).await {
        tracing::error!(error = %e, "cannot store the OAuth state");
        return failure_page(SignInFailure::Unexpected, &[]);
    }
    let cookie = cookies::set(cookies::Jar::SignInState, &state, STATE_LIFETIME_SECS, app.settings.secure_cookies());
    let cookies: Vec<String> = std::iter::once(cookie).chain(signed_out).collect();
    see_other(&app.twitch.oauth().authorize_url(&state, scopes, force_verify), &cookies)
}

/// What Twitch puts on the redirect back.
#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The code and the state are credentials for as long as they are valid: a log line must not carry them.
impl std::fmt::Debug for CallbackQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("CallbackQuery")
            .field("code", &shown(&self.code))
            .field("state", &shown(&self.state))
            .field("error", &self.error)
            .finish()
    }
}

/// Finishes a sign-in. Every failure lands on a friendly page; the state cookie is cleared either way.
pub async fn callback(State(app): State<AppState>, Query(query): Query<CallbackQuery>, headers: HeaderMap) -> Response {
    let clear_state = cookies::set(cookies::Jar::SignInState, "", 0, app.settings.secure_cookies());
    match finish(&app, &query, &headers).await {
        Ok(Finished::SignedIn(session_cookie)) => see_other("/", &[clear_state, session_cookie]),
        Ok(Finished::Connected(login)) => see_other(&format!("/streamer/{login}?connected=1"), &[clear_state]),
        Err(failure) => {
            tracing::info!(reason = failure.code(), "sign-in did not complete");
            failure_page(failure, &[clear_state])
        }
    }
}

/// Where a completed authorization leads.
enum Finished {
    /// A new session, with its cookie.
    SignedIn(String),
    /// The signed-in streamer connected their channel (their login).
    Connected(String),
}

async fn finish(app: &AppState, query: &CallbackQuery, headers: &HeaderMap) -> Result<Finished, SignInFailure> {
    let cookie_state = cookies::read(headers, cookies::Jar::SignInState, app.settings.secure_cookies());
    let browser_check = state_check::check_browser(query.state.as_deref(), cookie_state.as_deref());
    // The stored state is consumed only when this browser started the sign-in, so a forged callback cannot
    // burn someone else's state.
    let mut purpose = SIGN_IN.to_string();
    let stored_check = match (&browser_check, query.state.as_deref()) {
        (Ok(()), Some(state)) => {
            let hash = keyed_hash(app.keys.session.expose(), state);
            let stored = app.db.take_oauth_state(&hash).await.map_err(|e| {
                tracing::error!(error = %e, "cannot read the OAuth state");
                SignInFailure::Unexpected
            })?;
            if let Some((_, p)) = &stored {
                purpose = p.clone();
            }
            state_check::check_stored(stored.map(|(expires, _)| expires), now())
        }
        _ => Ok(()),
    };
    if query.error.is_some() {
        // The viewer said no at Twitch. Nothing happens on a denial, so it is reported as such whatever the
        // state says.
        return Err(SignInFailure::Denied);
    }
    browser_check?;
    stored_check?;

    let code = query.code.as_deref().filter(|c| !c.is_empty()).ok_or(SignInFailure::InvalidCode)?;
    let oauth = app.twitch.oauth();
    let tokens = oauth.exchange_code(code).await.map_err(twitch_failure)?;
    let validated = oauth.validate(&tokens.access_token).await.map_err(twitch_failure)?;
    let user_id = validated.user_id.ok_or(SignInFailure::InvalidCode)?;
    let profile = app
        .twitch
        .helix()
        .users_as_viewer(&tokens.access_token, &[], &[user_id.as_str()])
        .await
        .map_err(twitch_failure)?
        .into_iter()
        .find(|u| u.id == user_id)
        .ok_or(SignInFailure::Unexpected)?;

    if purpose == CONNECT {
        return connect_channel(app, headers, &profile, &tokens).await.map(Finished::Connected);
    }

    // A browser signing in again ends the session it had, so no forgotten session outlives its cookie.
    session::end(app, headers).await.map_err(|e| {
        tracing::error!(error = %e, "cannot end the previous session");
        SignInFailure::Unexpected
    })?;
    let now = now();
    let stored = async {
        app.db
            .upsert_user(
                &UserRecord {
                    twitch_id: profile.id.clone(),
                    login: profile.login.clone(),
                    display_name: profile.display_name.clone(),
                    profile_image_url: profile.profile_image_url.clone(),
                },
                now,
            )
            .await?;
        session::start(app, &profile.id).await
    };
    let cookie = stored.await.map_err(|e| {
        tracing::error!(error = %e, "cannot store the session");
        SignInFailure::Unexpected
    })?;
    session::revoke_later(app, tokens.access_token);
    tracing::info!(user_id = %profile.id, login = %profile.login, "viewer signed in");
    Ok(Finished::SignedIn(cookie))
}

/// Records the signed-in streamer's grant and adds the subscriptions it authorizes. sev needs no user token for
/// that (the app token creates them once the streamer has granted the scopes), so the token is not kept.
async fn connect_channel(
    app: &AppState,
    headers: &HeaderMap,
    profile: &twitch::HelixUser,
    tokens: &twitch::TokenSet,
) -> Result<String, SignInFailure> {
    let unexpected = |e: crate::storage::StorageError| {
        tracing::error!(error = %e, "cannot record a channel connection");
        SignInFailure::Unexpected
    };
    let viewer = session::viewer(app, headers).await.map_err(unexpected)?.ok_or(SignInFailure::StateMismatch)?;
    if viewer.twitch_id != profile.id {
        return Err(SignInFailure::WrongAccount);
    }
    let streamer = crate::backend::streamer_profile(profile);
    app.db.upsert_streamer(&streamer, &profile.broadcaster_type, now()).await.map_err(unexpected)?;
    app.db.connect_channel(&profile.id, &tokens.scopes.join(" "), now()).await.map_err(unexpected)?;
    let ensured = crate::subscriptions::ensure_streamer(app, &profile.id).await.map_err(unexpected)?;
    tracing::info!(broadcaster_id = %profile.id, ?ensured, "streamer connected their channel");
    Ok(streamer.login)
}

/// How a Twitch failure during sign-in is explained to the viewer.
fn twitch_failure(e: TwitchError) -> SignInFailure {
    tracing::warn!(error = %e, "Twitch call failed during sign-in");
    match e {
        TwitchError::Timeout => SignInFailure::TwitchTimeout,
        TwitchError::Unavailable(_) | TwitchError::RateLimited { .. } => SignInFailure::TwitchUnavailable,
        TwitchError::Rejected { .. } | TwitchError::InvalidToken => SignInFailure::InvalidCode,
        TwitchError::Protocol(_) => SignInFailure::Unexpected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_and_state_never_show_in_debug_output() {
        let query = CallbackQuery {
            code: Some("code-hunter2".into()),
            state: Some("state-hunter2".into()),
            error: Some("access_denied".into()),
        };
        let shown = format!("{query:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("access_denied"), "{shown}");
    }
}
