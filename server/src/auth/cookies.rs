//! The two cookies sev sets: the session, and the state of a sign-in under way. Both are HttpOnly (scripts
//! cannot read them), SameSite=Lax (not sent on cross-site posts, but sent when Twitch redirects back), and
//! Secure when sev is served over https.

use cookie::{Cookie, SameSite};
use http::HeaderMap;
use http::header::COOKIE;

pub const SESSION: &str = "sev_session";
pub const OAUTH_STATE: &str = "sev_oauth_state";

/// Reads one cookie from the request's `Cookie` headers.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// A `Set-Cookie` value. `max_age_secs` of 0 deletes the cookie.
pub fn set(name: &str, value: &str, path: &str, max_age_secs: i64, secure: bool) -> String {
    Cookie::build((name.to_string(), value.to_string()))
        .path(path.to_string())
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
        let c = set(SESSION, "abc", "/", 60, false);
        assert!(c.starts_with("sev_session=abc"), "{c}");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Max-Age=60"), "{c}");
        assert!(!c.contains("Secure"), "{c}");
        assert!(set(SESSION, "abc", "/", 60, true).contains("Secure"));
    }

    #[test]
    fn a_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; sev_session=xyz; b=2".parse().unwrap());
        assert_eq!(read(&headers, SESSION), Some("xyz".into()));
        assert_eq!(read(&headers, OAUTH_STATE), None);
    }
}
