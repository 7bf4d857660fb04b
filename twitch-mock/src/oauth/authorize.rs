//! `GET` and `POST /oauth2/authorize`: the page where a user signs in and grants an app access.
//!
//! The checks follow Twitch's order and Twitch's rule on where errors go. An unknown client or
//! a redirect URI that is not registered byte for byte is shown to the user as an error page:
//! redirecting there would hand an attacker the result. Once the redirect URI is trusted, every
//! other outcome (wrong response type, denial, success) is sent back to it as query parameters.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::authorize_page::{ConsentPage, consent_page, error_page};
use crate::MockTwitch;
use crate::params::Params;
use crate::state::Store;
use twitch_testkit::people::is_valid_login;

/// An authorize request whose client and redirect URI checked out.
struct AuthorizeRequest {
    client_id: String,
    redirect_uri: String,
    /// The `scope` parameter as sent: space-separated scope names.
    scope: String,
    state: Option<String>,
    force_verify: Option<String>,
}

impl AuthorizeRequest {
    fn scopes(&self) -> Vec<String> {
        self.scope.split_whitespace().map(str::to_owned).collect()
    }

    /// The request's parameters, carried through the consent form as hidden fields.
    fn hidden_fields(&self) -> Vec<(&'static str, &str)> {
        let mut fields = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("scope", self.scope.as_str()),
        ];
        if let Some(state) = &self.state {
            fields.push(("state", state));
        }
        if let Some(force_verify) = &self.force_verify {
            fields.push(("force_verify", force_verify));
        }
        fields
    }

    /// Sends the user back to the app with these parameters (and `state`, if the app sent one).
    fn redirect_back(&self, outcome: &[(&str, &str)]) -> Response {
        let Ok(mut target) = Url::parse(&self.redirect_uri) else {
            return html(
                StatusCode::BAD_REQUEST,
                error_page("invalid_request", "The registered redirect URI is not an absolute URL."),
            );
        };
        {
            let mut query = target.query_pairs_mut();
            query.extend_pairs(outcome);
            if let Some(state) = &self.state {
                query.append_pair("state", state);
            }
        }
        (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
    }

    fn consent(&self, login: &str, error: Option<&str>) -> String {
        consent_page(&ConsentPage {
            client_id: &self.client_id,
            scopes: &self.scopes(),
            hidden_fields: &self.hidden_fields(),
            login,
            error,
        })
    }
}

/// `GET /oauth2/authorize`: shows the sign-in and consent page.
pub(super) async fn show_consent_page(State(mock): State<MockTwitch>, uri: Uri) -> Response {
    let Ok(params) = Params::from_query(uri.query()) else {
        return malformed_request();
    };
    let request = match check_request(&mock.shared().lock(), &params) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    html(StatusCode::OK, request.consent("", None))
}

/// `POST /oauth2/authorize`: the user pressed Authorize or Cancel on the consent page.
pub(super) async fn decide(State(mock): State<MockTwitch>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(params) = Params::from_form(&headers, &body) else {
        return malformed_request();
    };
    let mut store = mock.shared().lock();
    let request = match check_request(&store, &params) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let login = params.get("login").unwrap_or("").trim();

    match params.get("decision") {
        Some("deny") => {
            request.redirect_back(&[("error", "access_denied"), ("error_description", "The user denied you access")])
        }
        Some("authorize") if is_valid_login(login) => {
            store.users.sign_in(login);
            let now = store.clock.now();
            let code = store.tokens.issue_code(
                &request.client_id,
                &request.redirect_uri,
                &login.to_ascii_lowercase(),
                request.scopes(),
                now,
            );
            request.redirect_back(&[("code", &code), ("scope", &request.scopes().join(" "))])
        }
        Some("authorize") => html(
            StatusCode::BAD_REQUEST,
            request.consent(login, Some("Enter a Twitch login of 4 to 25 letters, digits or underscores.")),
        ),
        _ => html(StatusCode::BAD_REQUEST, request.consent(login, Some("Choose Authorize or Cancel."))),
    }
}

/// Why an authorize request cannot go ahead.
enum Rejection {
    /// The client id is missing or unknown: shown on an error page.
    UnknownClient,
    /// The redirect URI is not registered for the client: shown on an error page, because
    /// redirecting to it could hand the outcome to an attacker.
    RedirectMismatch,
    /// The redirect URI is trusted, so this is reported back to it.
    UnsupportedResponseType(Box<AuthorizeRequest>),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Self::UnknownClient => {
                html(StatusCode::BAD_REQUEST, error_page("invalid_client", "The client ID is missing or unknown."))
            }
            Self::RedirectMismatch => html(
                StatusCode::BAD_REQUEST,
                error_page("redirect_mismatch", "Parameter redirect_uri does not match registered URI"),
            ),
            Self::UnsupportedResponseType(request) => request.redirect_back(&[
                ("error", "unsupported_response_type"),
                ("error_description", "The authorization server does not support this response type"),
            ]),
        }
    }
}

/// Validates the parameters both the page and the form submission carry, in Twitch's order:
/// client, then redirect URI, then response type.
fn check_request(store: &Store, params: &Params) -> Result<AuthorizeRequest, Rejection> {
    let client =
        params.get("client_id").and_then(|client_id| store.clients.get(client_id)).ok_or(Rejection::UnknownClient)?;
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|redirect_uri| client.redirect_uris.iter().any(|uri| uri == redirect_uri))
        .ok_or(Rejection::RedirectMismatch)?;
    let request = AuthorizeRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scope: params.get("scope").unwrap_or("").to_owned(),
        state: params.get("state").map(str::to_owned),
        force_verify: params.get("force_verify").map(str::to_owned),
    };
    if params.get("response_type") != Some("code") {
        return Err(Rejection::UnsupportedResponseType(Box::new(request)));
    }
    Ok(request)
}

fn malformed_request() -> Response {
    html(StatusCode::BAD_REQUEST, error_page("invalid_request", "The request parameters are malformed."))
}

/// What the mock's pages may load: nothing but their own inline style. No script runs on them, nothing frames
/// them, and a value that slipped through escaping still could not act.
pub const PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/// An HTML response that no cache keeps: the page carries the app's `state`.
fn html(status: StatusCode, body: String) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
    ];
    (status, headers, body).into_response()
}
