//! Accepting a verified message: deduplicate it durably, store the event, then publish it. Storing happens before
//! the answer, so an acknowledged event is never lost; the fan-out to pages happens in each socket's own task.

use serde_json::Value;

use app::events::{Event, FeedEvent, event_time_ms};
use twitch::eventsub::Envelope;

use crate::metrics::WebhookOutcome;
use crate::state::AppState;
use crate::storage::{NewEvent, StorageError, now, now_ms};
use crate::subscriptions;

/// The key that catches the same logical event arriving twice under different message ids. Twitch has been seen
/// doing this for stream.online/offline: an online is the same if it names the same stream, and an offline is the
/// same if no online came between.
pub fn dedupe_key(kind: &str, event: &Value, last_online_event: Option<i64>) -> Option<String> {
    match kind {
        "stream.online" => {
            let stream = event.get("id").and_then(Value::as_str).or_else(|| event.get("started_at")?.as_str())?;
            Some(format!("stream.online:{stream}"))
        }
        "stream.offline" => Some(format!("stream.offline:after:{}", last_online_event.unwrap_or(0))),
        _ => None,
    }
}

/// Handles a notification once per message id. If handling fails, the id is forgotten again, so the resend
/// Twitch makes after the 5xx answer is handled rather than mistaken for a duplicate.
pub async fn notification(
    app: &AppState,
    message_id: &str,
    envelope: &Envelope,
) -> Result<WebhookOutcome, StorageError> {
    if !app.db.first_sighting(message_id, now()).await? {
        tracing::debug!(message_id, "duplicate EventSub message ignored");
        return Ok(WebhookOutcome::Duplicate);
    }
    let handled = store_and_publish(app, message_id, envelope).await;
    if handled.is_err() {
        forget(app, message_id).await;
    }
    handled
}

/// Best effort: when even this fails, the message id expires with the others and the event is lost only if Twitch
/// gives up resending before then.
async fn forget(app: &AppState, message_id: &str) {
    if let Err(e) = app.db.forget_message(message_id).await {
        tracing::error!(error = %e, message_id, "cannot forget a message that failed; its resend will be ignored");
    }
}

async fn store_and_publish(
    app: &AppState,
    message_id: &str,
    envelope: &Envelope,
) -> Result<WebhookOutcome, StorageError> {
    let sub = &envelope.subscription;
    let Some(row) = app.db.subscription_by_twitch_id(&sub.id).await? else {
        // Signed by Twitch but not a subscription sev keeps: acknowledged so Twitch stops, deleted at the next
        // reconcile.
        tracing::info!(subscription = %sub.id, kind = %sub.kind, "notification for an unknown subscription ignored");
        return Ok(WebhookOutcome::UnknownSubscription);
    };
    if row.status != "enabled" {
        app.db.subscription_status(&sub.id, "enabled", now()).await?;
    }
    let event = envelope.event.clone().unwrap_or(Value::Null);
    let Some(streamer_id) = row.streamer_id else {
        if let Some(user_id) = event.get("user_id").and_then(Value::as_str)
            && sub.kind == "user.authorization.revoke"
        {
            subscriptions::channel_disconnected(app, user_id).await;
        }
        return Ok(WebhookOutcome::Other);
    };

    let last_online = if sub.kind == "stream.offline" { app.db.last_online_event(&streamer_id).await? } else { None };
    let received = now_ms();
    let occurred_at_ms = event_time_ms(&sub.kind, &event).unwrap_or(received);
    let payload = event.to_string();
    let stored = app
        .db
        .insert_event(
            &NewEvent {
                message_id,
                streamer_id: &streamer_id,
                kind: &sub.kind,
                version: &sub.version,
                occurred_at_ms,
                received_at_ms: received,
                dedupe_key: dedupe_key(&sub.kind, &event, last_online),
                payload: &payload,
            },
            app.settings.event_retention,
        )
        .await?;
    let Some(id) = stored else {
        tracing::info!(message_id, kind = %sub.kind, "repeated event under a new message id ignored");
        return Ok(WebhookOutcome::Duplicate);
    };
    let feed_event = FeedEvent {
        id,
        event: Event::parse(&sub.kind, &sub.version, &event),
        streamer_id: streamer_id.clone(),
        subscription_type: sub.kind.clone(),
        version: sub.version.clone(),
        occurred_at_ms,
    };
    match sub.kind.as_str() {
        "stream.online" => app.db.set_live(&streamer_id, true).await?,
        "stream.offline" => app.db.set_live(&streamer_id, false).await?,
        _ => {}
    }
    tracing::info!(id = feed_event.id, kind = %sub.kind, streamer = %streamer_id, "event stored");
    // Publishing hands the event to a broadcast channel and never waits for a subscriber, so it cannot hold up
    // the acknowledgement.
    app.bus.publish(feed_event);
    Ok(WebhookOutcome::Stored)
}

pub async fn revocation(app: &AppState, message_id: &str, envelope: &Envelope) -> Result<WebhookOutcome, StorageError> {
    if !app.db.first_sighting(message_id, now()).await? {
        return Ok(WebhookOutcome::Duplicate);
    }
    let sub = &envelope.subscription;
    let status = if sub.status.is_empty() { "revoked" } else { sub.status.as_str() };
    tracing::warn!(subscription = %sub.id, kind = %sub.kind, status, "Twitch revoked a subscription");
    let row = match app.db.subscription_status(&sub.id, status, now()).await {
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
        let a = dedupe_key("stream.online", &json!({"id": "9001", "started_at": "x"}), None);
        let b = dedupe_key("stream.online", &json!({"id": "9001", "started_at": "y"}), None);
        assert_eq!(a, b);
        assert_ne!(a, dedupe_key("stream.online", &json!({"id": "9002"}), None));
    }

    #[test]
    fn an_offline_is_a_repeat_unless_an_online_came_between() {
        assert_eq!(
            dedupe_key("stream.offline", &json!({}), Some(5)),
            dedupe_key("stream.offline", &json!({}), Some(5))
        );
        assert_ne!(
            dedupe_key("stream.offline", &json!({}), Some(5)),
            dedupe_key("stream.offline", &json!({}), Some(6))
        );
    }

    #[test]
    fn other_events_rely_on_the_message_id_alone() {
        assert_eq!(dedupe_key("channel.follow", &json!({}), None), None);
    }
}
