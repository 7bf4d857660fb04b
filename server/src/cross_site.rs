//! Refusing writes from other sites. Cookies are SameSite=Lax, which already keeps a viewer's session off another
//! site's form posts in current browsers; this is the second lock, for older browsers and for a sibling subdomain
//! (same site, other origin): a request that changes something (anything but GET, HEAD and OPTIONS) must come from
//! sev's own pages. Browsers say where a request comes from in `Origin`, and in `Sec-Fetch-Site`; a request with
//! neither is not from a browser page, and cookies alone never made it dangerous.
//!
//! Twitch's webhooks carry no Origin and are signed; the demo's mock Twitch posts its own forms.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::ORIGIN;
use http::{HeaderMap, Method, StatusCode};

use crate::state::AppState;

/// Whether a request is one that must come from sev's own pages: a write, other than Twitch's webhooks and the
/// demo mock's own forms.
pub fn checked(method: &Method, path: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        && !path.starts_with("/eventsub/")
        && !path.starts_with("/mock-twitch/")
}

/// Whether a request's headers say it comes from `own_origin` (PUBLIC_URL's, e.g. `https://sev.example`), or from
/// no browser page at all.
pub fn from_own_page(headers: &HeaderMap, own_origin: &str) -> bool {
    if let Some(origin) = headers.get(ORIGIN) {
        return origin.as_bytes() == own_origin.as_bytes();
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        Some(b"same-origin" | b"none") | None => true,
        Some(_) => false,
    }
}

pub async fn enforce(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if !checked(request.method(), request.uri().path()) || from_own_page(request.headers(), &app.settings.origin()) {
        return next.run(request).await;
    }
    tracing::warn!(path = request.uri().path(), "cross-site request refused");
    (StatusCode::FORBIDDEN, "this request came from another site; use sev's own page to do this").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "https://sev.example";

    fn check(method: Method, path: &str, headers: &[(&'static str, &'static str)]) -> bool {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        !checked(&method, path) || from_own_page(&map, OWN)
    }

    #[test]
    fn writes_from_sev_s_own_pages_pass_and_others_are_refused() {
        assert!(check(Method::POST, "/auth/logout", &[("origin", "https://sev.example")]));
        assert!(!check(Method::POST, "/auth/logout", &[("origin", "https://evil.example")]));
        assert!(!check(Method::POST, "/auth/logout", &[("origin", "https://a.sev.example")]), "a subdomain");
        assert!(!check(Method::POST, "/auth/logout", &[("origin", "http://sev.example")]), "another scheme");
        assert!(!check(Method::POST, "/auth/logout", &[("origin", "null")]), "a sandboxed frame");
        assert!(!check(Method::POST, "/api/x", &[("sec-fetch-site", "cross-site")]));
        assert!(!check(Method::POST, "/api/x", &[("sec-fetch-site", "same-site")]));
        assert!(check(Method::POST, "/api/x", &[("sec-fetch-site", "same-origin")]));
        assert!(check(Method::POST, "/api/x", &[]), "not a browser: no cookie was sent on anyone's behalf");
    }

    #[test]
    fn reads_webhooks_and_the_mock_pass() {
        assert!(check(Method::GET, "/", &[("origin", "https://evil.example")]));
        assert!(check(Method::POST, "/eventsub/callback", &[("sec-fetch-site", "cross-site")]));
        assert!(check(Method::POST, "/mock-twitch/oauth2/authorize", &[("origin", "http://localhost:1")]));
    }
}
