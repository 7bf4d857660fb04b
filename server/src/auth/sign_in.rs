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

/// The cookie path of the state cookie: only the callback needs it.
const STATE_COOKIE_PATH: &str = "/auth";

fn see_other(location: &str, cookies: &[String]) -> Response {
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

/// Starts a sign-in: a fresh state, remembered server-side and in a cookie, then off to Twitch.
pub async fn start(State(app): State<AppState>) -> Response {
    let state = random_token();
    let now = now();
    let hash = keyed_hash(app.keys.session.expose(), &state);
    if let Err(e) = app.db.insert_oauth_state(&hash, now, now + STATE_LIFETIME_SECS).await {
        tracing::error!(error = %e, "cannot store the OAuth state");
        return failure_page(SignInFailure::Unexpected, &[]);
    }
    let cookie = cookies::set(
        cookies::OAUTH_STATE,
        &state,
        STATE_COOKIE_PATH,
        STATE_LIFETIME_SECS,
        app.settings.secure_cookies(),
    );
    // Sign-in needs no scopes: sev only asks who the viewer is.
    see_other(&app.twitch.oauth().authorize_url(&state, &[], false), &[cookie])
}

/// What Twitch puts on the redirect back.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Finishes a sign-in. Every failure lands on a friendly page; the state cookie is cleared either way.
pub async fn callback(State(app): State<AppState>, Query(query): Query<CallbackQuery>, headers: HeaderMap) -> Response {
    let clear_state = cookies::set(cookies::OAUTH_STATE, "", STATE_COOKIE_PATH, 0, app.settings.secure_cookies());
    match finish(&app, &query, &headers).await {
        Ok(session_cookie) => see_other("/", &[clear_state, session_cookie]),
        Err(failure) => {
            tracing::info!(reason = failure.code(), "sign-in did not complete");
            failure_page(failure, &[clear_state])
        }
    }
}

async fn finish(app: &AppState, query: &CallbackQuery, headers: &HeaderMap) -> Result<String, SignInFailure> {
    let cookie_state = cookies::read(headers, cookies::OAUTH_STATE);
    let browser_check = state_check::check_browser(query.state.as_deref(), cookie_state.as_deref());
    // The stored state is consumed only when this browser started the sign-in, so a forged callback cannot
    // burn someone else's state.
    let stored_check = match (&browser_check, query.state.as_deref()) {
        (Ok(()), Some(state)) => {
            let hash = keyed_hash(app.keys.session.expose(), state);
            let stored = app.db.take_oauth_state(&hash).await.map_err(|e| {
                tracing::error!(error = %e, "cannot read the OAuth state");
                SignInFailure::Unexpected
            })?;
            state_check::check_stored(stored, now())
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
        .users(&tokens.access_token, &[], &[user_id.as_str()])
        .await
        .map_err(twitch_failure)?
        .into_iter()
        .find(|u| u.id == user_id)
        .ok_or(SignInFailure::Unexpected)?;

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
        session::start(app, &profile.id, &tokens).await
    };
    let cookie = stored.await.map_err(|e| {
        tracing::error!(error = %e, "cannot store the session");
        SignInFailure::Unexpected
    })?;
    tracing::info!(user_id = %profile.id, login = %profile.login, "viewer signed in");
    Ok(cookie)
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
