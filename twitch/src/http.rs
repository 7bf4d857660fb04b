//! The shared HTTP client and the base URLs it talks to. One reqwest client serves OAuth and Helix so that
//! connections are pooled and every call has the same bounded timeout.

use std::time::Duration;

use crate::error::TwitchError;
use crate::stats::{ApiStats, NO_ANSWER};

/// Where Twitch lives. Real Twitch by default; the mock Twitch in demo mode and in tests.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The authorize page the *browser* is sent to, e.g. `https://id.twitch.tv/oauth2/authorize`.
    pub authorize_url: String,
    /// The server-to-server OAuth base, e.g. `https://id.twitch.tv/oauth2`.
    pub oauth_base: String,
    /// The Helix base, e.g. `https://api.twitch.tv/helix`.
    pub helix_base: String,
}

/// Builds the one HTTP client. Redirects are not followed: an OAuth token endpoint that redirects is a
/// misconfiguration, and following it could leak credentials to another host.
pub fn client(timeout: Duration) -> Result<reqwest::Client, TwitchError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("sev/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| TwitchError::Protocol(format!("cannot build HTTP client: {e}")))
}

/// Reads `Ratelimit-Reset` so a 429 can say when to try again.
pub(crate) fn rate_limit_reset(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers.get("ratelimit-reset").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

/// Whose rate-limit bucket a Helix call draws on. Only the app token's is sev's own budget: a call made with a
/// viewer's token reports that viewer's bucket, which must not be mistaken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bucket {
    App,
    Viewer,
}

/// Sends a request and turns any non-2xx answer into a [`TwitchError`]; returns the body bytes of a success.
/// Counts the call in `stats` under `endpoint`, with the rate-limit headroom the answer reports when the call
/// drew on the app's bucket.
pub(crate) async fn send(
    stats: &ApiStats,
    endpoint: &'static str,
    bucket: Bucket,
    request: reqwest::RequestBuilder,
) -> Result<bytes::Bytes, TwitchError> {
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            stats.record(endpoint, NO_ANSWER);
            return Err(TwitchError::from_transport(&e));
        }
    };
    let status = response.status();
    stats.record(endpoint, status.as_u16());
    if bucket == Bucket::App {
        stats.record_rate_limit(response.headers());
    }
    let reset = rate_limit_reset(response.headers());
    let bucket_empty = response.headers().get("ratelimit-remaining").is_some_and(|v| v.as_bytes() == b"0");
    let body = response.bytes().await.map_err(|e| TwitchError::from_transport(&e))?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(TwitchError::from_status(status.as_u16(), &body, reset, bucket_empty))
    }
}

/// Parses a JSON body, naming what was expected when it does not fit.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, TwitchError> {
    serde_json::from_slice(body).map_err(|e| TwitchError::Protocol(format!("{what}: {e}")))
}
