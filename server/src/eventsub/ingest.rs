//! Accepting a verified message: deduplicate it durably, store the event, then publish it. Storing happens before
//! the answer, so an acknowledged event is never lost; the fan-out to pages happens in each socket's own task.

use std::time::Duration;

use serde_json::Value;

use app::events::{Event, FeedEvent, Reading};
use twitch::eventsub::{Envelope, Subscription};

use crate::bus::Confirmation;
use crate::metrics::WebhookOutcome;
use crate::state::AppState;
use crate::storage::{NewEvent, StorageError, Stored, SubscriptionStatus, now, now_ms};
use crate::subscriptions;

/// A notification, read once from its verified body: the subscription it came on, its event as a variant, when
/// it happened, and Twitch's `event` object as text, which is what is stored.
#[derive(Debug, Clone)]
pub struct Notification {
    pub subscription: Subscription,
    pub event: Event,
    /// The event's own time, or when Twitch sent the message for events whose payload carries none.
    pub occurred_at_ms: i64,
    pub payload: String,
}

impl Notification {
    /// Reads the envelope's event; `sent_at_ms` is the message's timestamp.
    pub fn read(envelope: Envelope, sent_at_ms: i64) -> Notification {
        let json = envelope.event.unwrap_or(Value::Null);
        let sub = envelope.subscription;
        let Reading { event, occurred_at_ms } = Reading::of(&sub.kind, &sub.version, &json);
        Notification {
            event,
            occurred_at_ms: occurred_at_ms.unwrap_or(sent_at_ms),
            payload: json.to_string(),
            subscription: sub,
        }
    }
}

/// The key that catches the same logical event arriving twice under different message ids. Twitch has been seen
/// doing this for stream.online/offline: an online is the same if it names the same stream (by its id, else its
/// start). An offline names no stream, so it is matched by time instead (see [`OFFLINE_REPEAT_WINDOW_MS`]).
pub fn dedupe_key(event: &Event) -> Option<String> {
    match event {
        Event::StreamOnline { id, started_at, .. } => {
            let stream = id.as_deref().or(started_at.as_deref())?;
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
pub async fn notification(
    app: &AppState,
    message_id: &str,
    notification: Notification,
) -> Result<WebhookOutcome, StorageError> {
    let Notification { subscription, event, occurred_at_ms, payload } = notification;
    let sub = &subscription;
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
    let Some(streamer_id) = row.streamer_id else {
        if !app.db.first_sighting(message_id, now()).await? {
            return Ok(WebhookOutcome::Duplicate);
        }
        if let Event::AuthorizationRevoke { user_id, .. } = &event {
            let user_id = user_id.as_str();
            // The viewer withdrew sev's access at Twitch: they are signed out everywhere, and a streamer's channel
            // is disconnected.
            let ended = app.db.delete_sessions_of(user_id).await?;
            tracing::info!(user_id, ended, "access withdrawn at Twitch; sessions ended");
            subscriptions::channel_disconnected(app, user_id).await;
        }
        return Ok(WebhookOutcome::Other);
    };

    let received = now_ms();
    let online = match event {
        Event::StreamOnline { .. } => Some(true),
        Event::StreamOffline => Some(false),
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
                dedupe_key: dedupe_key(&event),
                payload: &payload,
                online,
                offline_repeat_window_ms: matches!(event, Event::StreamOffline).then_some(OFFLINE_REPEAT_WINDOW_MS),
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
                confirmed(app.bus.publish(crate::feed::read(stored))).await;
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
        event,
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

    fn online(event: Value) -> Event {
        Event::parse("stream.online", "1", &event)
    }

    #[test]
    fn the_same_stream_going_live_twice_has_one_key() {
        let a = dedupe_key(&online(json!({"id": "9001", "started_at": "2024-01-01T00:00:00Z"})));
        let b = dedupe_key(&online(json!({"id": "9001", "started_at": "2024-01-01T00:00:05Z"})));
        assert_eq!(a, b);
        assert_ne!(a, dedupe_key(&online(json!({"id": "9002"}))));
        assert_eq!(dedupe_key(&online(json!({"started_at": "x"}))).as_deref(), Some("stream.online:x"));
    }

    #[test]
    fn other_events_rely_on_the_message_id_alone() {
        assert_eq!(dedupe_key(&Event::parse("channel.follow", "2", &json!({}))), None);
        assert_eq!(dedupe_key(&Event::StreamOffline), None, "an offline is matched by time in storage");
    }

    #[test]
    fn a_notification_is_read_once_with_its_time_and_payload() {
        let envelope: Envelope = serde_json::from_value(json!({
            "subscription": {"id": "s", "type": "stream.online", "version": "1", "status": "enabled",
                             "condition": {}, "transport": {"method": "webhook"}, "cost": 0},
            "event": {"id": "77", "type": "live", "started_at": "2024-01-01T00:00:00Z"}
        }))
        .unwrap();
        let n = Notification::read(envelope, 5);
        assert!(matches!(n.event, Event::StreamOnline { ref id, .. } if id.as_deref() == Some("77")));
        assert_eq!(n.occurred_at_ms, 1_704_067_200_000);
        assert_eq!(serde_json::from_str::<Value>(&n.payload).unwrap()["id"], "77");
        let offline: Envelope = serde_json::from_value(json!({
            "subscription": {"id": "s", "type": "stream.offline", "version": "1", "status": "enabled",
                             "condition": {}, "transport": {"method": "webhook"}, "cost": 0},
            "event": {}
        }))
        .unwrap();
        assert_eq!(Notification::read(offline, 5).occurred_at_ms, 5, "no time of its own: the message's");
    }
}
