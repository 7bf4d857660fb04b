//! Helix's EventSub subscription API: create, list (every page) and delete. Webhook subscriptions are always
//! managed with an app access token.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::message::Subscription;
use crate::error::TwitchError;
use crate::helix::Helix;
use crate::http::{self, Bucket};

/// What sev asks for.
#[derive(Clone)]
pub struct NewSubscription<'a> {
    pub kind: &'a str,
    pub version: &'a str,
    pub condition: Value,
    pub callback: &'a str,
    pub secret: &'a str,
}

/// Everything but the secret, which signs every delivery of the subscription.
impl std::fmt::Debug for NewSubscription<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSubscription")
            .field("kind", &self.kind)
            .field("version", &self.version)
            .field("condition", &self.condition)
            .field("callback", &self.callback)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// One page of subscriptions, with the account's cost figures.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct SubscriptionPage {
    #[serde(default)]
    pub data: Vec<Subscription>,
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub total_cost: i64,
    #[serde(default)]
    pub max_total_cost: i64,
    #[serde(default)]
    pub pagination: Pagination,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Pagination {
    #[serde(default)]
    pub cursor: Option<String>,
}

impl Helix {
    /// Creates a webhook subscription. A 409 (it exists already) comes back as `Rejected { status: 409 }` and a
    /// cost or count limit as `RateLimited`, so the caller can adopt or report them.
    pub async fn create_subscription(
        &self,
        app_token: &str,
        new: &NewSubscription<'_>,
    ) -> Result<SubscriptionPage, TwitchError> {
        let body = json!({
            "type": new.kind,
            "version": new.version,
            "condition": new.condition,
            "transport": { "method": "webhook", "callback": new.callback, "secret": new.secret },
        });
        let request = self.request(reqwest::Method::POST, "/eventsub/subscriptions", app_token).json(&body);
        let bytes = http::send(&self.stats, "helix_eventsub_create", Bucket::App, request).await?;
        http::parse(&bytes, "created subscription")
    }

    /// One page of subscriptions, oldest first.
    pub async fn subscriptions_page(
        &self,
        app_token: &str,
        after: Option<&str>,
    ) -> Result<SubscriptionPage, TwitchError> {
        let mut request = self.request(reqwest::Method::GET, "/eventsub/subscriptions", app_token);
        if let Some(cursor) = after {
            request = request.query(&[("after", cursor)]);
        }
        http::parse(&http::send(&self.stats, "helix_eventsub_list", Bucket::App, request).await?, "subscription list")
    }

    /// Deletes a subscription; one Twitch no longer has counts as deleted.
    pub async fn delete_subscription(&self, app_token: &str, id: &str) -> Result<(), TwitchError> {
        let request = self.request(reqwest::Method::DELETE, "/eventsub/subscriptions", app_token).query(&[("id", id)]);
        match http::send(&self.stats, "helix_eventsub_delete", Bucket::App, request).await {
            Ok(_) | Err(TwitchError::Rejected { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let new = NewSubscription {
            kind: "channel.follow",
            version: "2",
            condition: serde_json::json!({"broadcaster_user_id": "1"}),
            callback: "https://sev.example/eventsub/callback",
            secret: "hunter2-hunter2",
        };
        let shown = format!("{new:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("channel.follow"), "{shown}");
    }
}
