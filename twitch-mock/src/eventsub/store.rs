//! The EventSub part of the mock's state: every subscription ever created (failed and revoked ones stay, as
//! on Twitch, until deleted), the account limits, and the messages sent, which a resend repeats byte for byte.

use std::collections::VecDeque;

use serde_json::Value;
use twitch::eventsub::catalog::{SubscriptionSpec, condition_key};
use twitch::eventsub::message::{Subscription, Transport};

use crate::payloads::subscription_object;

pub(crate) const ENABLED: &str = "enabled";
pub(crate) const PENDING: &str = "webhook_callback_verification_pending";
pub(crate) const VERIFICATION_FAILED: &str = "webhook_callback_verification_failed";
pub(crate) const AUTHORIZATION_REVOKED: &str = "authorization_revoked";

/// The reasons a revocation can give; each is also the status the subscription is left in.
pub(crate) const REVOCATION_REASONS: &[&str] = &[
    "notification_failures_exceeded",
    AUTHORIZATION_REVOKED,
    "moderator_removed",
    "user_removed",
    "chat_user_banned",
    "version_removed",
    "beta_maintenance",
];

/// The statuses Helix may report besides the revocation reasons.
const OTHER_STATUSES: &[&str] = &[
    ENABLED,
    PENDING,
    VERIFICATION_FAILED,
    "websocket_disconnected",
    "websocket_failed_ping_pong",
    "websocket_received_inbound_traffic",
    "websocket_connection_unused",
    "websocket_internal_error",
    "websocket_network_timeout",
    "websocket_network_error",
    "websocket_failed_to_reconnect",
];

/// Whether Helix may report `status`, so the list endpoint can reject a status filter Twitch would reject.
pub(crate) fn is_status(status: &str) -> bool {
    OTHER_STATUSES.contains(&status) || REVOCATION_REASONS.contains(&status)
}

/// Twitch's default limit on the summed cost of an application's subscriptions.
const DEFAULT_MAX_TOTAL_COST: i64 = 10_000;
/// How many subscriptions one list page holds unless a test asks for fewer.
const DEFAULT_PAGE_SIZE: usize = 100;
/// Twitch allows at most this many live subscriptions with one type and condition (different callbacks).
pub(crate) const MAX_PER_TYPE_AND_CONDITION: usize = 3;
/// Sent messages remembered for resends; a long demo session forgets the oldest.
const REMEMBERED_MESSAGES: usize = 1_000;

/// One subscription, with what Helix never shows (its owner and secret).
#[derive(Debug, Clone)]
pub(crate) struct StoredSubscription {
    /// Creation order; list cursors point into it.
    pub(crate) seq: u64,
    pub(crate) id: String,
    pub(crate) client_id: String,
    pub(crate) spec: &'static SubscriptionSpec,
    pub(crate) condition: Value,
    pub(crate) callback: String,
    pub(crate) secret: String,
    pub(crate) status: String,
    pub(crate) cost: i64,
    pub(crate) created_at: String,
}

impl StoredSubscription {
    /// Enabled or waiting for its challenge: the subscriptions that count toward limits and block duplicates.
    pub(crate) fn is_live(&self) -> bool {
        self.status == ENABLED || self.status == PENDING
    }

    /// The subscription object as Helix and messages show it.
    pub(crate) fn to_json(&self) -> Value {
        let mut object = subscription_object(
            &self.id,
            self.spec.kind,
            self.spec.version,
            &self.condition,
            &self.callback,
            &self.status,
            self.cost,
        );
        object["created_at"] = Value::String(self.created_at.clone());
        object
    }

    pub(crate) fn to_message(&self) -> Subscription {
        Subscription {
            id: self.id.clone(),
            status: self.status.clone(),
            kind: self.spec.kind.to_owned(),
            version: self.spec.version.to_owned(),
            cost: self.cost,
            condition: self.condition.clone(),
            transport: Transport { method: "webhook".to_owned(), callback: Some(self.callback.clone()) },
            created_at: self.created_at.clone(),
        }
    }

    /// Whether a user id appears anywhere in the condition (the `user_id` filter of the list endpoint).
    pub(crate) fn names_user(&self, user_id: &str) -> bool {
        self.condition
            .as_object()
            .is_some_and(|fields| fields.iter().any(|(key, value)| key.ends_with("user_id") && value == user_id))
    }
}

/// A message as it was first sent, kept so that a resend repeats its id and body.
#[derive(Debug, Clone)]
pub(crate) struct SentMessage {
    pub(crate) message_id: String,
    pub(crate) subscription_id: String,
    pub(crate) message_type: &'static str,
    pub(crate) body: Vec<u8>,
    /// How often it was sent again; the `Message-Retry` header of the next resend.
    pub(crate) resends: u32,
}

#[derive(Debug)]
pub(crate) struct EventSubStore {
    /// In creation order, which is the list endpoint's order.
    subscriptions: Vec<StoredSubscription>,
    next_seq: u64,
    pub(crate) max_total_cost: i64,
    /// Fault injection: every create answers 429.
    pub(crate) rate_limited: bool,
    pub(crate) page_size: usize,
    sent: VecDeque<SentMessage>,
    /// Advances with every generated feed event, so repeated fills do not repeat themselves.
    feed_seq: u64,
}

impl Default for EventSubStore {
    fn default() -> Self {
        Self {
            subscriptions: Vec::new(),
            next_seq: 0,
            max_total_cost: DEFAULT_MAX_TOTAL_COST,
            rate_limited: false,
            page_size: DEFAULT_PAGE_SIZE,
            sent: VecDeque::new(),
            feed_seq: 0,
        }
    }
}

impl EventSubStore {
    /// Stores a new subscription, giving it the next place in creation order.
    pub(crate) fn insert(&mut self, mut subscription: StoredSubscription) -> &StoredSubscription {
        subscription.seq = self.next_seq;
        self.next_seq += 1;
        self.subscriptions.push(subscription);
        &self.subscriptions[self.subscriptions.len() - 1]
    }

    pub(crate) fn get(&self, id: &str) -> Option<&StoredSubscription> {
        self.subscriptions.iter().find(|subscription| subscription.id == id)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut StoredSubscription> {
        self.subscriptions.iter_mut().find(|subscription| subscription.id == id)
    }

    /// Deletes a subscription of this client; false if it has none with that id.
    pub(crate) fn remove(&mut self, client_id: &str, id: &str) -> bool {
        let before = self.subscriptions.len();
        self.subscriptions.retain(|subscription| !(subscription.id == id && subscription.client_id == client_id));
        self.subscriptions.len() != before
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &StoredSubscription> {
        self.subscriptions.iter()
    }

    pub(crate) fn all_mut(&mut self) -> impl Iterator<Item = &mut StoredSubscription> {
        self.subscriptions.iter_mut()
    }

    pub(crate) fn of_client<'s>(&'s self, client_id: &'s str) -> impl Iterator<Item = &'s StoredSubscription> {
        self.subscriptions.iter().filter(move |subscription| subscription.client_id == client_id)
    }

    /// `(total, total_cost)` over the client's live subscriptions, as Helix reports them.
    pub(crate) fn totals(&self, client_id: &str) -> (usize, i64) {
        self.of_client(client_id)
            .filter(|subscription| subscription.is_live())
            .fold((0, 0), |(count, cost), subscription| (count + 1, cost + subscription.cost))
    }

    /// The client's live subscriptions with this type, version and condition (compared as Twitch does, by
    /// content rather than key order).
    pub(crate) fn live_with_condition<'s>(
        &'s self,
        client_id: &'s str,
        spec: &'s SubscriptionSpec,
        condition: &Value,
    ) -> impl Iterator<Item = &'s StoredSubscription> {
        let key = condition_key(condition);
        self.of_client(client_id).filter(move |subscription| {
            subscription.is_live()
                && subscription.spec.kind == spec.kind
                && subscription.spec.version == spec.version
                && condition_key(&subscription.condition) == key
        })
    }

    /// Records the outcome of a challenge, unless the subscription was deleted or changed meanwhile.
    pub(crate) fn finish_verification(&mut self, id: &str, verified: bool) {
        if let Some(subscription) = self.get_mut(id).filter(|subscription| subscription.status == PENDING) {
            subscription.status = if verified { ENABLED } else { VERIFICATION_FAILED }.to_owned();
        }
    }

    pub(crate) fn remember_sent(&mut self, message: SentMessage) {
        if self.sent.len() == REMEMBERED_MESSAGES {
            self.sent.pop_front();
        }
        self.sent.push_back(message);
    }

    pub(crate) fn sent_mut(&mut self, message_id: &str) -> Option<&mut SentMessage> {
        self.sent.iter_mut().find(|message| message.message_id == message_id)
    }

    /// Reserves `count` consecutive feed sequence numbers and returns the first.
    pub(crate) fn reserve_feed_seqs(&mut self, count: usize) -> u64 {
        let first = self.feed_seq;
        self.feed_seq = self.feed_seq.wrapping_add(u64::try_from(count).unwrap_or(u64::MAX));
        first
    }
}
