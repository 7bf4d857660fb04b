//! Checking a message before anything is believed: headers present, signature right (over the raw bytes, in
//! constant time), timestamp fresh, body well-formed. Only then is it routed by type.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};

use app::events::parse_rfc3339_ms;
use twitch::eventsub::catalog::condition_key;
use twitch::eventsub::{Envelope, MessageHeaders, MessageType, verify};

use super::ingest::{self, Notification};
use super::rejection::WebhookRejection;
use super::{MAX_AGE_MS, MAX_SKEW_MS};
use crate::metrics::WebhookOutcome;
use crate::state::AppState;
use crate::storage::{SubKey, SubscriptionStatus, now, now_ms};

/// Counts a refusal, then answers it.
fn refused(app: &AppState, rejection: WebhookRejection) -> Response {
    app.metrics.webhook(rejection.outcome());
    rejection.into_response()
}

/// Checks the message's age against `now_ms`.
fn check_age(timestamp: &str, now_ms: i64) -> Result<(), &'static str> {
    let sent = parse_rfc3339_ms(timestamp).ok_or("the message timestamp is not an RFC 3339 time")?;
    if now_ms - sent > MAX_AGE_MS {
        Err("the message is more than ten minutes old")
    } else if sent - now_ms > MAX_SKEW_MS {
        Err("the message timestamp is in the future")
    } else {
        Ok(())
    }
}

/// Handles a webhook through storage of its own and within a deadline. Past the deadline Twitch is told 503 and
/// sends the message again; the work under way still finishes (see [`handle`]), and the resent message then
/// finds its event stored and is acknowledged as a duplicate, so nothing is lost or stored twice.
pub async fn receive(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let started = std::time::Instant::now();
    let app = app.for_webhooks();
    let deadline = app.settings.webhook_deadline;
    let handled = match tokio::time::timeout(deadline, handle(&app, &headers, &body)).await {
        Ok(handled) => handled,
        Err(_) => {
            tracing::warn!(?deadline, "EventSub message not handled in time; answered 503 so Twitch retries");
            Err(WebhookRejection::Overloaded)
        }
    };
    let response = match handled {
        Ok((outcome, response)) => {
            app.metrics.webhook(outcome);
            response
        }
        Err(rejection) => refused(&app, rejection),
    };
    app.metrics.webhook_time(started.elapsed());
    response
}

/// Checks a message and routes it by type: what it is counted as and the answer, or why it is refused.
async fn handle(
    app: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(WebhookOutcome, Response), WebhookRejection> {
    let message = MessageHeaders::from_headers(headers).map_err(WebhookRejection::MissingHeader)?;
    let secret = app.keys.eventsub.expose();
    if !verify(secret, &message.message_id, &message.timestamp, body, &message.signature) {
        tracing::warn!(message_id = %message.message_id, "EventSub message refused: bad signature");
        return Err(WebhookRejection::BadSignature);
    }
    if let Err(why) = check_age(&message.timestamp, now_ms()) {
        tracing::warn!(message_id = %message.message_id, why, "EventSub message refused as a replay");
        return Err(WebhookRejection::Stale(why));
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| WebhookRejection::Malformed(e.to_string()))?;
    let outcome = match message.message_type {
        MessageType::Verification => {
            return answer_challenge(app, &envelope).await.map(|answer| (WebhookOutcome::Challenge, answer));
        }
        MessageType::Notification | MessageType::Revocation => {
            // Handled in a task of its own, which runs to the end even if Twitch hangs up on a slow answer: cut
            // short, a message could be remembered as seen without its event being stored.
            let (owned, id) = (app.clone(), message.message_id.clone());
            // Checked above: a valid, fresh RFC 3339 time.
            let sent_at_ms = parse_rfc3339_ms(&message.timestamp).unwrap_or_else(now_ms);
            let revocation = message.message_type == MessageType::Revocation;
            let task = tokio::spawn(async move {
                if revocation {
                    ingest::revocation(&owned, &id, &envelope).await
                } else {
                    ingest::notification(&owned, &id, Notification::read(envelope, sent_at_ms)).await
                }
            });
            let stored = task.await.map_err(|e| {
                tracing::error!(error = %e, "handling an EventSub message failed");
                WebhookRejection::Crashed
            })?;
            // A 5xx makes Twitch send the message again later, so nothing is lost while storage is down.
            stored.map_err(|e| {
                tracing::error!(error = %e, "cannot store an EventSub message");
                WebhookRejection::StorageUnavailable
            })?
        }
        MessageType::Unknown(ref kind) => {
            tracing::info!(kind, "EventSub message of an unknown type acknowledged");
            WebhookOutcome::Other
        }
    };
    Ok((outcome, StatusCode::NO_CONTENT.into_response()))
}

/// Answers a challenge, but only for a subscription sev asked for: one it is creating or has created with this
/// type, version and condition. The answer is the raw challenge as `text/plain`.
async fn answer_challenge(app: &AppState, envelope: &Envelope) -> Result<Response, WebhookRejection> {
    let Some(challenge) = envelope.challenge.as_deref() else {
        return Err(WebhookRejection::NoChallenge);
    };
    let sub = &envelope.subscription;
    let cond = condition_key(&sub.condition);
    let key = SubKey { kind: &sub.kind, version: &sub.version, condition_key: &cond };
    let row = match app.db.subscription_by_key(key).await {
        Ok(row) => row,
        Err(e) => {
            tracing::error!(error = %e, "cannot look a subscription up");
            return Err(WebhookRejection::StorageUnavailable);
        }
    };
    let expected = row.filter(|r| r.status.is_active() && r.twitch_id.as_deref().is_none_or(|id| id == sub.id));
    let Some(row) = expected else {
        tracing::warn!(kind = %sub.kind, condition = %cond, "challenge refused: sev did not ask for this subscription");
        return Err(WebhookRejection::NotOurs);
    };
    if row.twitch_id.is_none() {
        // The challenge can overtake the answer to the create request.
        if let Err(e) =
            app.db.subscription_created(key, &sub.id, &SubscriptionStatus::VerificationPending, sub.cost, now()).await
        {
            tracing::error!(error = %e, "cannot record a subscription");
        }
    }
    tracing::info!(kind = %sub.kind, condition = %cond, "answered an EventSub challenge");
    Ok(([(CONTENT_TYPE, "text/plain")], challenge.to_string()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn fresh_messages_pass() {
        assert_eq!(check_age("2023-11-14T22:13:20.123456789Z", NOW), Ok(()));
        assert_eq!(check_age("2023-11-14T22:04:00Z", NOW), Ok(()));
    }

    #[test]
    fn old_messages_are_replays() {
        assert!(check_age("2023-11-14T22:03:19Z", NOW).is_err());
    }

    #[test]
    fn future_and_garbage_timestamps_are_refused() {
        assert!(check_age("2023-11-14T22:15:00Z", NOW).is_err());
        assert!(check_age("yesterday", NOW).is_err());
    }
}
