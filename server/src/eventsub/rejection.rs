//! Every way a webhook can be refused, as one type: its status, the sentence the sender reads, and the outcome it
//! is counted under. The handler returns it instead of building status tuples by hand, so a refusal's status and
//! its metric cannot drift apart.

use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::metrics::WebhookOutcome;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookRejection {
    /// A Twitch-Eventsub-Message header is missing (its name).
    MissingHeader(&'static str),
    BadSignature,
    /// Too old or from the future (why).
    Stale(&'static str),
    /// Not an EventSub message (the parser's words).
    Malformed(String),
    /// A challenge without its `challenge` field.
    NoChallenge,
    /// A challenge for a subscription sev did not ask for.
    NotOurs,
    /// Storage failed; Twitch sends the message again later.
    StorageUnavailable,
    /// The handling task died.
    Crashed,
    /// Not handled within WEBHOOK_DEADLINE_MS.
    Overloaded,
}

impl WebhookRejection {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingHeader(_) | Self::BadSignature | Self::Stale(_) | Self::NotOurs => StatusCode::FORBIDDEN,
            Self::Malformed(_) | Self::NoChallenge => StatusCode::BAD_REQUEST,
            Self::StorageUnavailable | Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Self::Crashed => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn outcome(&self) -> WebhookOutcome {
        match self {
            Self::MissingHeader(_) | Self::BadSignature => WebhookOutcome::BadSignature,
            Self::Stale(_) => WebhookOutcome::Stale,
            Self::Malformed(_) => WebhookOutcome::Malformed,
            Self::NoChallenge | Self::NotOurs => WebhookOutcome::ChallengeRefused,
            Self::StorageUnavailable | Self::Crashed => WebhookOutcome::StorageError,
            Self::Overloaded => WebhookOutcome::Deadline,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::MissingHeader(name) => format!("missing the {name} header"),
            Self::BadSignature => "the signature does not match".into(),
            Self::Stale(why) => (*why).into(),
            Self::Malformed(e) => format!("the body is not an EventSub message: {e}"),
            Self::NoChallenge => "a verification message needs a challenge".into(),
            Self::NotOurs => "sev did not ask for this subscription".into(),
            Self::StorageUnavailable => "storage is unavailable; please retry".into(),
            Self::Crashed => "the message could not be handled".into(),
            Self::Overloaded => "sev is overloaded; please retry".into(),
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        (self.status(), self.message()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twitch_retries_exactly_the_refusals_that_are_sev_s_fault() {
        // Twitch resends on 5xx; a 4xx would be resent in vain.
        for retried in [WebhookRejection::StorageUnavailable, WebhookRejection::Crashed, WebhookRejection::Overloaded] {
            assert!(retried.status().is_server_error(), "{retried:?}");
        }
        for refused in [
            WebhookRejection::MissingHeader("x"),
            WebhookRejection::BadSignature,
            WebhookRejection::Stale("old"),
            WebhookRejection::Malformed("bad".into()),
            WebhookRejection::NoChallenge,
            WebhookRejection::NotOurs,
        ] {
            assert!(refused.status().is_client_error(), "{refused:?}");
        }
    }
}
