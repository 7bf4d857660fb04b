//! Accepting a verified message: deduplicate it durably, store the event, then publish it. Storing happens before
//! the answer, so an acknowledged event is never lost; the fan-out to pages happens in each socket's own task.

use std::time::Duration;

use serde_json::Value;

use app::events::{Event, FeedEvent, event_time_ms};
use twitch::eventsub::Envelope;

use crate::bus::Confirmation;
use crate::metrics::WebhookOutcome;
use crate::state::AppState;
use crate::storage::{NewEvent, StorageError, Stored, SubscriptionStatus, now, now_ms};
use crate::subscriptions;

/// The key that catches the same logical event arriving twice under different message ids. Twitch has been seen
/// doing this for stream.online/offline: an online is the same if it names the same stream. An offline names no
/// stream, so it is matched by time instead (see [`OFFLINE_REPEAT_WINDOW_MS`]).
pub fn dedupe_key(kind: &str, event: &Value) -> Option<String> {
    match kind {
        "stream.online" => {
            let stream = event.get("id").and_then(Value::as_str).or_else(|| event.get("started_at")?.as_str())?;
            Some(format!("stream.online:{stream}"))
        }
        _ => None,
    }
}

/// Two stream.offline events this close in time, with no stream.online between them, are one offline sent twice.
/// The repeats seen come seconds apart; a real second stream ends minutes after the first at the very least.
pub const OFFLINE_REPEAT_WINDOW_MS: i64 = 2 * 60 * 1000;

/// Handles a notification once per message id.
///
/// A notification that stores an event claims its message id in the event's own transaction
/// ([`Db::store_event`](crate::storage::Db::store_event)), so the claim and the event commit together or not at
/// all: no failure between them can leave the id claimed and the event lost. Notifications that store nothing
/// claim the id alone.
///
/// `sent_at_ms` is when Twitch sent the message: the time of events whose payload carries none (stream.offline).
pub async fn notification(
    app: &AppState,
    message_id: &str,
    sent_at_ms: i64,
    envelope: &Envelope,
) -> Result<WebhookOutcome, StorageError> {
    let sub = &envelope.subscription;
    let Some(row) = app.db.subscription_by_twitch_id(&sub.id).await? else {
        // Signed by Twitch but not a subscription sev keeps: acknowledged so Twitch stops, deleted at the next
        // reconcile.
        tracing::info!(subscription = %sub.id, kind = %sub.kind, "notification for an unknown subscription ignored");
        return Ok(WebhookOutcome::UnknownSubscription);
    };
    if row.status.is_revoked() {
        // Twitch revoked it: a late notification must not bring it back to life. Acknowledged, nothing stored.
        tracing::info!(subscription = %sub.id, status = %row.status, "notification for a revoked subscription ignored");
        return Ok(WebhookOutcome::Revoked);
    }
    if row.status != SubscriptionStatus::Enabled {
        app.db.subscription_status(&sub.id, &SubscriptionStatus::Enabled, now()).await?;
    }
    let event = envelope.event.clone().unwrap_or(Value::Null);
    let Some(streamer_id) = row.streamer_id else {
        if !app.db.first_sighting(message_id, now()).await? {
            return Ok(WebhookOutcome::Duplicate);
        }
        if let Some(user_id) = event.get("user_id").and_then(Value::as_str)
            && sub.kind == "user.authorization.revoke"
        {
            // The viewer withdrew sev's access at Twitch: they are signed out everywhere, and a streamer's channel
            // is disconnected.
            let ended = app.db.delete_sessions_of(user_id).await?;
            tracing::info!(user_id, ended, "access withdrawn at Twitch; sessions ended");
            subscriptions::channel_disconnected(app, user_id).await;
        }
        return Ok(WebhookOutcome::Other);
    };

    let received = now_ms();
    let occurred_at_ms = event_time_ms(&sub.kind, &event).unwrap_or(sent_at_ms);
    let payload = event.to_string();
    let online = match sub.kind.as_str() {
        "stream.online" => Some(true),
        "stream.offline" => Some(false),
        _ => None,
    };
    let stored = app
        .db
        .store_event(
            &NewEvent {
                message_id,
                streamer_id: &streamer_id,
                kind: &sub.kind,
                version: &sub.version,
                occurred_at_ms,
                received_at_ms: received,
                dedupe_key: dedupe_key(&sub.kind, &event),
                payload: &payload,
                online,
                offline_repeat_window_ms: (sub.kind == "stream.offline").then_some(OFFLINE_REPEAT_WINDOW_MS),
            },
            app.settings.event_retention,
        )
        .await?;
    let id = match stored {
        Stored::New(id) => id,
        Stored::SeenMessage => {
            // Stored before, but perhaps never published: the first attempt may have stopped between its commit
            // and its publish. Publishing again is harmless, since pages skip ids they have.
            if let Some(stored) = app.db.event_of_message(message_id).await? {
                confirmed(app.bus.publish(stored)).await;
            }
            tracing::debug!(message_id, "duplicate EventSub message ignored");
            return Ok(WebhookOutcome::Duplicate);
        }
        Stored::Repeated => {
            tracing::info!(message_id, kind = %sub.kind, "repeated event under a new message id ignored");
            return Ok(WebhookOutcome::Duplicate);
        }
    };
    let feed_event = FeedEvent {
        id,
        event: Event::parse(&sub.kind, &sub.version, &event),
        streamer_id: streamer_id.clone(),
        subscription_type: sub.kind.clone(),
        version: sub.version.clone(),
        occurred_at_ms,
    };
    tracing::info!(id = feed_event.id, kind = %sub.kind, streamer = %streamer_id, "event stored");
    // This instance's pages have it at once; the answer to Twitch waits (briefly) for the other instances too.
    confirmed(app.bus.publish(feed_event)).await;
    Ok(WebhookOutcome::Stored)
}

/// The longest a webhook's answer waits for the shared bus. Past it (Redis slow or gone) the answer goes anyway:
/// the event is stored, and the other instances' pages get it when the bus tells them to resync.
const PUBLISH_WAIT: Duration = Duration::from_millis(1500);

/// Waits for the other instances to have the event, so that this process dying right after answering Twitch
/// cannot leave their pages without it.
async fn confirmed(confirmation: Confirmation) {
    if let Some(confirmation) = confirmation {
        let _ = tokio::time::timeout(PUBLISH_WAIT, confirmation).await;
    }
}

/// Best effort: when even this fails, the message id expires with the others and the event is lost only if Twitch
/// gives up resending before then.
async fn forget(app: &AppState, message_id: &str) {
    if let Err(e) = app.db.forget_message(message_id).await {
        tracing::error!(error = %e, message_id, "cannot forget a message that failed; its resend will be ignored");
    }
}

pub async fn revocation(app: &AppState, message_id: &str, envelope: &Envelope) -> Result<WebhookOutcome, StorageError> {
    if !app.db.first_sighting(message_id, now()).await? {
        return Ok(WebhookOutcome::Duplicate);
    }
    let sub = &envelope.subscription;
    // Twitch always gives a reason; `revoked` stands in should one ever be missing.
    let status = match sub.status.as_str() {
        "" => SubscriptionStatus::Revoked,
        given => SubscriptionStatus::from(given),
    };
    tracing::warn!(subscription = %sub.id, kind = %sub.kind, %status, "Twitch revoked a subscription");
    let row = match app.db.subscription_status(&sub.id, &status, now()).await {
        Ok(row) => row,
        Err(e) => {
            forget(app, message_id).await;
            return Err(e);
        }
    };
    if let Some(row) = row {
        let app = app.clone();
        tokio::spawn(async move { subscriptions::after_revocation(&app, row).await });
    }
    Ok(WebhookOutcome::Revocation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_same_stream_going_live_twice_has_one_key() {
        let a = dedupe_key("stream.online", &json!({"id": "9001", "started_at": "x"}));
        let b = dedupe_key("stream.online", &json!({"id": "9001", "started_at": "y"}));
        assert_eq!(a, b);
        assert_ne!(a, dedupe_key("stream.online", &json!({"id": "9002"})));
    }

    #[test]
    fn other_events_rely_on_the_message_id_alone() {
        assert_eq!(dedupe_key("channel.follow", &json!({})), None);
        assert_eq!(dedupe_key("stream.offline", &json!({})), None, "an offline is matched by time in storage");
    }
}
