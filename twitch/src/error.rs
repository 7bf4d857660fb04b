//! The one error type of the Twitch client. Its variants are the cases a caller must tell apart: a slow Twitch, a
//! Twitch that is down, a token Twitch no longer accepts, a rate limit, and a request Twitch refused.

/// What went wrong talking to Twitch.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TwitchError {
    /// No answer within the configured timeout.
    #[error("Twitch did not answer in time")]
    Timeout,
    /// Twitch could not be reached, or answered with a server error.
    #[error("Twitch is unavailable: {0}")]
    Unavailable(String),
    /// Twitch answered 401: the token is invalid, expired or revoked.
    #[error("Twitch no longer accepts this token")]
    InvalidToken,
    /// Twitch answered 429. `reset` is the Unix time at which the bucket refills, when Twitch said.
    /// `bucket_empty` tells the Helix rate limit (the answer reports no points left) from a 429 that is about
    /// something else, such as an EventSub subscription limit.
    #[error("Twitch rate limit reached")]
    RateLimited { reset: Option<u64>, bucket_empty: bool },
    /// Twitch refused the request with a 4xx status other than 401 and 429.
    #[error("Twitch refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// Twitch answered something this client cannot understand.
    #[error("unexpected answer from Twitch: {0}")]
    Protocol(String),
}

impl TwitchError {
    /// Classifies a transport error from reqwest.
    pub(crate) fn from_transport(err: &reqwest::Error) -> Self {
        if err.is_timeout() {
            TwitchError::Timeout
        } else if err.is_decode() {
            TwitchError::Protocol(err.to_string())
        } else {
            // Only the kind of failure: reqwest's message includes the URL, which may carry a token.
            let kind = if err.is_connect() {
                "connection failed"
            } else if err.is_request() {
                "request failed"
            } else {
                "transport error"
            };
            TwitchError::Unavailable(kind.to_string())
        }
    }

    /// Classifies a non-success HTTP status and Twitch's JSON error body (`{"status","message"}`).
    pub(crate) fn from_status(status: u16, body: &[u8], reset: Option<u64>, bucket_empty: bool) -> Self {
        let message = serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .and_then(|b| b.message)
            .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
        match status {
            401 => TwitchError::InvalidToken,
            429 => TwitchError::RateLimited { reset, bucket_empty },
            500..=599 => TwitchError::Unavailable(format!("HTTP {status}: {message}")),
            _ => TwitchError::Rejected { status, message },
        }
    }
}

/// The shape of Twitch's error bodies on id.twitch.tv and Helix.
#[derive(serde::Deserialize)]
struct ErrorBody {
    message: Option<String>,
}
