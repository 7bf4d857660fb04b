//! Demo mode's "fill the feed": a burst of realistic events for one broadcaster, over every type sev is
//! subscribed to for them, and the `POST /_mock/fill` route that sev's demo button calls.
//!
//! The mix first gives every subscription one event in random order, so a fill shows each kind of card, then
//! favours what a real channel sees most (follows, subs, cheers, redemptions) over the rarer polls, predictions
//! and hype trains.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rand::Rng;
use rand::seq::SliceRandom;
use serde_json::json;
use twitch::eventsub::catalog::ConditionShape;

use super::store::ENABLED;
use crate::MockTwitch;
use crate::errors::error_status_message;
use crate::params::Params;
use crate::payloads::{event, raid_from};

/// Events a fill sends when the request does not say.
const DEFAULT_FILL: usize = 10;
/// The most events one request may ask for, so a stray click cannot keep the mock busy for minutes.
const MAX_FILL: usize = 500;

pub(super) fn routes() -> Router<MockTwitch> {
    Router::new().route("/_mock/fill", post(fill))
}

/// `POST /_mock/fill?broadcaster=<login>&count=<n>` → `{"delivered": n}`.
async fn fill(State(mock): State<MockTwitch>, uri: Uri) -> Response {
    let Ok(params) = Params::from_query(uri.query()) else {
        return error_status_message(StatusCode::BAD_REQUEST, "Malformed query parameters");
    };
    let Some(broadcaster) = params.get("broadcaster").filter(|login| !login.is_empty()) else {
        return error_status_message(StatusCode::BAD_REQUEST, "Missing required parameter \"broadcaster\"");
    };
    let count = match params.get("count").map(str::parse::<usize>) {
        None => DEFAULT_FILL,
        Some(Ok(count)) => count.min(MAX_FILL),
        Some(Err(_)) => return error_status_message(StatusCode::BAD_REQUEST, "count must be a whole number"),
    };
    let delivered = mock.fill_feed(broadcaster, count).await;
    Json(json!({ "delivered": delivered })).into_response()
}

/// An enabled subscription on the broadcaster's channel.
struct FeedTarget {
    subscription_id: String,
    kind: &'static str,
    version: &'static str,
    shape: ConditionShape,
}

impl MockTwitch {
    /// Delivers `count` realistic events, a varied mix over every enabled subscription on
    /// `broadcaster_login`'s channel, and returns how many the callbacks accepted (answered 2xx). An unknown
    /// broadcaster, or one with no enabled subscriptions, gets none.
    pub async fn fill_feed(&self, broadcaster_login: &str, count: usize) -> usize {
        let (broadcaster, targets, first_seq) = {
            let mut store = self.shared().lock();
            let Some(broadcaster) = store.users.profile_by_login(broadcaster_login, &self.shared().public_base) else {
                return 0;
            };
            let targets: Vec<FeedTarget> = store
                .eventsub
                .all()
                .filter(|subscription| subscription.status == ENABLED)
                .filter(|subscription| subscription.spec.condition != ConditionShape::ClientId)
                .filter(|subscription| subscription.names_user(&broadcaster.id))
                .map(|subscription| FeedTarget {
                    subscription_id: subscription.id.clone(),
                    kind: subscription.spec.kind,
                    version: subscription.spec.version,
                    shape: subscription.spec.condition,
                })
                .collect();
            let first_seq = store.eventsub.reserve_feed_seqs(count);
            (broadcaster, targets, first_seq)
        };

        let mut delivered = 0;
        for (seq, target) in (first_seq..).zip(mix(&targets, count)) {
            let event = match target.shape {
                ConditionShape::RaidFrom => raid_from(&broadcaster, seq),
                _ => event(target.kind, target.version, &broadcaster, seq),
            };
            match self.deliver(&target.subscription_id, event).await {
                Ok(delivery) if (200..300).contains(&delivery.status) => delivered += 1,
                Ok(delivery) => tracing::debug!(status = delivery.status, "feed event refused by its callback"),
                Err(error) => tracing::debug!(%error, "feed event not delivered"),
            }
        }
        delivered
    }
}

/// `count` targets: each once in random order, then weighted picks.
fn mix(targets: &[FeedTarget], count: usize) -> Vec<&FeedTarget> {
    let mut rng = rand::rng();
    let mut order: Vec<&FeedTarget> = targets.iter().collect();
    order.shuffle(&mut rng);
    order.truncate(count);
    let total_weight: u32 = targets.iter().map(|target| weight(target.kind)).sum();
    while order.len() < count && total_weight > 0 {
        let mut ticket = rng.random_range(0..total_weight);
        for target in targets {
            if ticket < weight(target.kind) {
                order.push(target);
                break;
            }
            ticket -= weight(target.kind);
        }
    }
    order
}

/// How often a type shows up relative to the others.
fn weight(kind: &str) -> u32 {
    match kind {
        "channel.follow" => 6,
        "channel.subscribe"
        | "channel.subscription.message"
        | "channel.cheer"
        | "channel.channel_points_custom_reward_redemption.add" => 4,
        "channel.subscription.gift" | "channel.raid" => 3,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: &'static str) -> FeedTarget {
        FeedTarget { subscription_id: kind.to_owned(), kind, version: "1", shape: ConditionShape::Broadcaster }
    }

    #[test]
    fn a_mix_covers_every_target_before_repeating_any() {
        let targets = [target("channel.follow"), target("channel.poll.begin"), target("stream.online")];
        let mix = mix(&targets, 3);
        let mut kinds: Vec<&str> = mix.iter().map(|target| target.kind).collect();
        kinds.sort_unstable();
        assert_eq!(kinds, ["channel.follow", "channel.poll.begin", "stream.online"]);
        assert_eq!(super::mix(&targets, 40).len(), 40);
        assert_eq!(super::mix(&targets, 2).len(), 2);
        assert!(super::mix(&[], 5).is_empty());
    }
}
