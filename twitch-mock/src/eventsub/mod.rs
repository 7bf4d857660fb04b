//! EventSub over webhooks: the Helix subscriptions API (`/helix/eventsub/subscriptions`), the challenge sent to
//! every new subscription's callback, and the notifications and revocations a test or the demo triggers.
//!
//! The Helix endpoints sit behind the Helix gate (token, `Client-Id`, rate limit) and follow Twitch's rules for
//! webhooks: app tokens only, a 400 for a condition that does not fit the type, a 403 when the user in the
//! condition has not granted the client a needed scope, a 409 for a live duplicate, the cost model and its
//! limit. Messages go out signed with the subscription's secret, exactly as Twitch signs them, so sev's real
//! receiver code can be tested against them.

mod conditions;
mod create;
mod delete;
mod delivery;
mod feed;
mod list;
mod store;
mod webhook;

use axum::Router;
use axum::routing::post;
use twitch::eventsub::message::Subscription;

use crate::MockTwitch;

pub(crate) use store::EventSubStore;
pub(crate) use webhook::client as webhook_client;

/// The subscriptions API, mounted by the Helix router behind its gate.
pub(crate) fn helix_routes() -> Router<MockTwitch> {
    Router::new().route(
        "/helix/eventsub/subscriptions",
        post(create::create_subscription).get(list::list_subscriptions).delete(delete::delete_subscription),
    )
}

/// Control routes that are not Twitch's: `POST /_mock/fill` for demo mode.
pub(crate) fn control_routes() -> Router<MockTwitch> {
    feed::routes()
}

/// A message posted to a callback: its id (to resend it) and the HTTP status the callback answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message_id: String,
    pub status: u16,
}

impl MockTwitch {
    /// Waits until every challenge sent so far has been answered (or has failed), so a test can then assert
    /// subscription statuses without polling.
    pub async fn settle(&self) {
        let mut in_flight = self.shared().verifications.subscribe();
        // The sender lives as long as the mock, so waiting cannot fail while `self` exists.
        let _ = in_flight.wait_for(|count| *count == 0).await;
    }

    /// Every subscription of every client in creation order, including failed and revoked ones, with
    /// `transport.callback` filled in.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.shared().lock().eventsub.all().map(|subscription| subscription.to_message()).collect()
    }

    /// Sets the limit on each client's summed subscription cost (Twitch's default is 10 000).
    pub fn set_max_total_cost(&self, max: i64) {
        self.shared().lock().eventsub.max_total_cost = max;
    }

    /// Fault injection: while on, every create answers 429.
    pub fn set_eventsub_rate_limited(&self, on: bool) {
        self.shared().lock().eventsub.rate_limited = on;
    }

    /// Sets how many subscriptions a list page holds (100 by default; Twitch leaves it undetermined, so
    /// clients must follow the cursor). Values below 1 count as 1.
    pub fn set_subscription_page_size(&self, size: usize) {
        self.shared().lock().eventsub.page_size = size.max(1);
    }
}
