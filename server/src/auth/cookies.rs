//! The cookies sev sets: the session, the state of a sign-in under way, and a marker left by signing out. All are
//! HttpOnly (scripts cannot read them) and SameSite=Lax (not sent on cross-site posts, but sent when Twitch
//! redirects back). When sev is served over https they are Secure and named with the `__Host-` prefix: browsers
//! then accept them only from a secure page of this very host, for every path and no wider domain, so neither a
//! plain-http page nor a sibling subdomain can plant or overwrite a viewer's session.

use cookie::{Cookie, SameSite};
use http::HeaderMap;
use http::header::COOKIE;

/// One of sev's cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jar {
    Session,
    /// The state of a sign-in under way, checked at the callback.
    SignInState,
    /// Left by signing out, so the next sign-in asks Twitch to show its consent page again instead of passing
    /// straight through: on a shared computer, the next person must not become the last one by one click.
    SignedOut,
}

impl Jar {
    pub fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Jar::Session, false) => "sev_session",
            (Jar::Session, true) => "__Host-sev_session",
            (Jar::SignInState, false) => "sev_oauth_state",
            (Jar::SignInState, true) => "__Host-sev_oauth_state",
            (Jar::SignedOut, false) => "sev_signed_out",
            (Jar::SignedOut, true) => "__Host-sev_signed_out",
        }
    }
}

/// Reads one cookie from the request's `Cookie` headers.
pub fn read(headers: &HeaderMap, jar: Jar, secure: bool) -> Option<String> {
    let name = jar.name(secure);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// A `Set-Cookie` value, for every path. `max_age_secs` of 0 deletes the cookie.
pub fn set(jar: Jar, value: &str, max_age_secs: i64, secure: bool) -> String {
    Cookie::build((jar.name(secure), value.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_and_lax() {
        let c = set(Jar::Session, "abc", 60, false);
        assert!(c.starts_with("sev_session=abc"), "{c}");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Max-Age=60"), "{c}");
        assert!(!c.contains("Secure"), "{c}");
    }

    #[test]
    fn over_https_cookies_are_secure_host_cookies() {
        for jar in [Jar::Session, Jar::SignInState, Jar::SignedOut] {
            let c = set(jar, "abc", 60, true);
            // What browsers demand of a __Host- cookie: Secure, Path=/ and no Domain.
            assert!(c.starts_with("__Host-"), "{c}");
            assert!(c.contains("Secure") && c.contains("Path=/") && !c.contains("Domain"), "{c}");
        }
    }

    #[test]
    fn a_cookie_is_found_among_others_under_its_own_name() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; sev_session=xyz; __Host-sev_session=secure; b=2".parse().unwrap());
        assert_eq!(read(&headers, Jar::Session, false), Some("xyz".into()));
        assert_eq!(read(&headers, Jar::Session, true), Some("secure".into()));
        assert_eq!(read(&headers, Jar::SignInState, false), None);
    }
}
