//! Request parameters, read the way Twitch reads them.
//!
//! Two Twitch habits rule out axum's `Query`/`Form` extractors here:
//! - the OAuth token endpoint takes its parameters from the query string *or* a form body (the
//!   Twitch CLI sends them in the query, most libraries in the body), so both are merged;
//! - Helix repeats keys (`?login=a&login=b`), which a map-shaped extractor would collapse.
//!
//! Parsing failures become a [`MalformedParams`] that handlers turn into a 400, never a panic.

use axum::body::Bytes;
use axum::http::{HeaderMap, header};

/// Ordered name/value pairs; a name may repeat.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(Vec<(String, String)>);

/// The query string or form body could not be decoded.
#[derive(Debug)]
pub(crate) struct MalformedParams;

impl Params {
    /// Parameters from a URL query string (without the leading `?`).
    pub(crate) fn from_query(query: Option<&str>) -> Result<Self, MalformedParams> {
        let mut params = Self::default();
        params.extend_from_urlencoded(query.unwrap_or("").as_bytes())?;
        Ok(params)
    }

    /// Parameters from an `application/x-www-form-urlencoded` body. A body of any other content
    /// type is ignored, as a form parser would ignore it.
    pub(crate) fn from_form(headers: &HeaderMap, body: &Bytes) -> Result<Self, MalformedParams> {
        let mut params = Self::default();
        if is_form(headers) {
            params.extend_from_urlencoded(body)?;
        }
        Ok(params)
    }

    /// Query parameters followed by form-body parameters; [`Params::get`] therefore prefers the
    /// query string when a name appears in both.
    pub(crate) fn from_query_and_form(
        query: Option<&str>,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Self, MalformedParams> {
        let mut params = Self::from_query(query)?;
        params.0.extend(Self::from_form(headers, body)?.0);
        Ok(params)
    }

    /// The first value of `name`, if present.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.all(name).next()
    }

    /// Every value of `name`, in request order.
    pub(crate) fn all<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s str> {
        self.0.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    fn extend_from_urlencoded(&mut self, encoded: &[u8]) -> Result<(), MalformedParams> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(encoded).map_err(|_| MalformedParams)?;
        self.0.extend(pairs);
        Ok(())
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn form_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"));
        headers
    }

    #[test]
    fn repeated_keys_are_all_kept_in_order() {
        let params = Params::from_query(Some("login=a&id=1&login=b")).expect("valid query");
        assert_eq!(params.all("login").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(params.get("id"), Some("1"));
        assert_eq!(params.get("missing"), None);
    }

    #[test]
    fn query_and_form_body_are_merged_with_the_query_first() {
        let body = Bytes::from_static(b"code=from_body&grant_type=authorization_code");
        let params = Params::from_query_and_form(Some("code=from_query"), &form_headers(), &body).expect("valid");
        assert_eq!(params.get("code"), Some("from_query"));
        assert_eq!(params.get("grant_type"), Some("authorization_code"));
    }

    #[test]
    fn a_body_that_is_not_a_form_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = Bytes::from_static(b"client_id=abc");
        let params = Params::from_form(&headers, &body).expect("ignored, not rejected");
        assert_eq!(params.get("client_id"), None);
    }

    #[test]
    fn plus_and_percent_escapes_are_decoded() {
        let params = Params::from_query(Some("scope=user%3Aread%3Aemail+bits%3Aread")).expect("valid query");
        assert_eq!(params.get("scope"), Some("user:read:email bits:read"));
    }
}
