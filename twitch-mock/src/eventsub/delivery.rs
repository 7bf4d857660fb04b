//! The messages a test or the demo makes Twitch send: notifications, resends of them, revocations, and what
//! happens when a user disconnects the app.
//!
//! Each method decides what to send while holding the state lock, records the message for resends, and posts
//! it after releasing the lock: a callback may well call the mock back (sev's receiver runs in the same process
//! as the mock in demo mode).

use serde_json::Value;
use twitch::eventsub::catalog::AUTHORIZATION_REVOKE;

use super::Delivery;
use super::store::{AUTHORIZATION_REVOKED, ENABLED, REVOCATION_REASONS, SentMessage, StoredSubscription};
use super::webhook::{Outgoing, post};
use crate::MockTwitch;
use crate::payloads::{
    NOTIFICATION, REVOCATION, authorization_revoke, new_message_id, notification_body, revocation_body,
};
use twitch_testkit::people::{profile_for, user_id_for};

impl MockTwitch {
    /// Signs and posts a `notification` carrying `event` to the subscription's callback. Only an enabled
    /// subscription receives events; any other is an `Err`, as is a callback that cannot be reached. A callback
    /// that answers with an error status is a delivery all the same: its status is in the result.
    pub async fn deliver(&self, subscription_id: &str, event: Value) -> Result<Delivery, String> {
        let message = {
            let mut store = self.shared().lock();
            let subscription = enabled(store.eventsub.get(subscription_id), subscription_id)?;
            let message = outgoing(subscription, NOTIFICATION, notification_body(&subscription.to_json(), &event));
            store.eventsub.remember_sent(sent(subscription_id, &message));
            message
        };
        self.post_message(message).await
    }

    /// Sends an earlier message again with the same id and body and a fresh timestamp, as Twitch's
    /// at-least-once delivery does; `Message-Retry` counts the resends. The subscription must still exist.
    pub async fn redeliver(&self, message_id: &str) -> Result<Delivery, String> {
        let message = {
            let mut store = self.shared().lock();
            let sent =
                store.eventsub.sent_mut(message_id).ok_or_else(|| format!("no message {message_id:?} was sent"))?;
            sent.resends += 1;
            let sent = sent.clone();
            let subscription = store
                .eventsub
                .get(&sent.subscription_id)
                .ok_or_else(|| format!("the subscription of message {message_id:?} was deleted"))?;
            Outgoing {
                message_id: sent.message_id,
                message_type: sent.message_type,
                body: sent.body,
                retry: sent.resends,
                ..outgoing(subscription, sent.message_type, Vec::new())
            }
        };
        self.post_message(message).await
    }

    /// Ends an enabled subscription with `status` as the reason (`notification_failures_exceeded`,
    /// `authorization_revoked`, `user_removed`, `version_removed`, …) and sends it the signed `revocation`.
    pub async fn revoke_subscription(&self, subscription_id: &str, status: &str) -> Result<Delivery, String> {
        if !REVOCATION_REASONS.contains(&status) {
            return Err(format!("{status:?} is not a revocation reason; use one of {}", REVOCATION_REASONS.join(", ")));
        }
        let message = {
            let mut store = self.shared().lock();
            enabled(store.eventsub.get(subscription_id), subscription_id)?;
            let Some(subscription) = store.eventsub.get_mut(subscription_id) else {
                return Err(format!("no subscription {subscription_id:?}"));
            };
            subscription.status = status.to_owned();
            let message = outgoing(subscription, REVOCATION, revocation_body(&subscription.to_json()));
            store.eventsub.remember_sent(sent(subscription_id, &message));
            message
        };
        self.post_message(message).await
    }

    /// The user disconnects the app, as from their Twitch connections page. Their tokens die and their grants
    /// are forgotten (as [`MockTwitch::revoke_user_tokens`] does); each enabled subscription that needed their
    /// authorization is revoked with `authorization_revoked`; and each client they had authorized hears of it
    /// through its enabled `user.authorization.revoke` subscriptions. Failed sends are logged, not returned:
    /// a test asserts on what its receiver got.
    pub async fn revoke_user_authorization(&self, login: &str) {
        let login = login.to_ascii_lowercase();
        let messages = {
            let mut store = self.shared().lock();
            store.tokens.disconnect_user(&login);
            let clients = store.authorizations.forget_user(&login);
            let user_id = user_id_for(&login);
            let mut messages = Vec::new();
            for subscription in store.eventsub.all_mut() {
                if subscription.status == ENABLED
                    && subscription.spec.needs_authorization()
                    && subscription.names_user(&user_id)
                {
                    subscription.status = AUTHORIZATION_REVOKED.to_owned();
                    let body = revocation_body(&subscription.to_json());
                    messages.push((subscription.id.clone(), outgoing(subscription, REVOCATION, body)));
                }
            }
            let public_base = &self.shared().public_base;
            let user =
                store.users.profile_by_login(&login, public_base).unwrap_or_else(|| profile_for(&login, public_base));
            for subscription in store.eventsub.all() {
                if subscription.status == ENABLED
                    && subscription.spec.kind == AUTHORIZATION_REVOKE.kind
                    && clients.contains(&subscription.client_id)
                {
                    let event = authorization_revoke(&subscription.client_id, &user);
                    let body = notification_body(&subscription.to_json(), &event);
                    messages.push((subscription.id.clone(), outgoing(subscription, NOTIFICATION, body)));
                }
            }
            for (subscription_id, message) in &messages {
                store.eventsub.remember_sent(sent(subscription_id, message));
            }
            messages
        };
        for (_, message) in messages {
            if let Err(error) = self.post_message(message).await {
                tracing::warn!(%error, "EventSub message after a user disconnected was not delivered");
            }
        }
    }

    async fn post_message(&self, message: Outgoing) -> Result<Delivery, String> {
        let answer = post(&self.shared().webhooks, &message).await?;
        Ok(Delivery { message_id: message.message_id, status: answer.status })
    }
}

/// The subscription, if it exists and is enabled.
fn enabled<'s>(
    subscription: Option<&'s StoredSubscription>,
    subscription_id: &str,
) -> Result<&'s StoredSubscription, String> {
    let subscription = subscription.ok_or_else(|| format!("no subscription {subscription_id:?}"))?;
    if subscription.status != ENABLED {
        return Err(format!("subscription {subscription_id} is {}, not enabled", subscription.status));
    }
    Ok(subscription)
}

/// A new message for the subscription's callback, signed with its secret.
fn outgoing(subscription: &StoredSubscription, message_type: &'static str, body: Vec<u8>) -> Outgoing {
    Outgoing {
        callback: subscription.callback.clone(),
        secret: subscription.secret.clone(),
        message_id: new_message_id(),
        message_type,
        subscription_type: subscription.spec.kind,
        version: subscription.spec.version,
        body,
        retry: 0,
    }
}

fn sent(subscription_id: &str, message: &Outgoing) -> SentMessage {
    SentMessage {
        message_id: message.message_id.clone(),
        subscription_id: subscription_id.to_owned(),
        message_type: message.message_type,
        body: message.body.clone(),
        resends: 0,
    }
}
