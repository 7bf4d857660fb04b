//! `POST /auth/logout`. A POST, so that a link or an image elsewhere cannot sign a viewer out; the session cookie
//! is SameSite=Lax, so another site's form cannot either.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};

use super::{cookies, session};
use crate::state::AppState;

pub async fn sign_out(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = session::end(&app, &headers).await {
        tracing::error!(error = %e, "cannot end the session");
        return (StatusCode::SERVICE_UNAVAILABLE, "sev could not sign you out just now. Please try again.")
            .into_response();
    }
    // Remembered for a day: the next sign-in from this browser asks Twitch to show its consent page again.
    let signed_out = cookies::set(cookies::Jar::SignedOut, "1", 86_400, app.settings.secure_cookies());
    super::sign_in::see_other("/", &[session::clear_cookie(&app), signed_out])
}
