//! The subscription types behind sev's feed, with their versions, condition shapes and the broadcaster scopes
//! that authorize them. This table is the one place that knows them; sev, the mock Twitch and the trigger command
//! all read it.

use serde_json::{Value, json};

/// Who must authorize a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Nobody: an app access token is enough (costs 1 unless the broadcaster authorized sev).
    Public,
    /// The broadcaster must have granted sev's client one of these scopes (costs 0).
    Broadcaster(&'static [&'static str]),
    /// App-level: the condition names sev's own client id.
    App,
}

/// The shape of a subscription's `condition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionShape {
    /// `{"broadcaster_user_id"}`
    Broadcaster,
    /// `{"broadcaster_user_id", "moderator_user_id"}`, the moderator being the broadcaster.
    BroadcasterAsModerator,
    /// `{"to_broadcaster_user_id"}`: raids into the channel.
    RaidTo,
    /// `{"from_broadcaster_user_id"}`: raids out of the channel.
    RaidFrom,
    /// `{"client_id"}`
    ClientId,
}

/// One subscription sev keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionSpec {
    pub kind: &'static str,
    pub version: &'static str,
    pub condition: ConditionShape,
    pub access: Access,
}

const FOLLOWERS: &[&str] = &["moderator:read:followers"];
const SUBSCRIPTIONS: &[&str] = &["channel:read:subscriptions"];
const BITS: &[&str] = &["bits:read"];
const REDEMPTIONS: &[&str] = &["channel:read:redemptions", "channel:manage:redemptions"];
const HYPE_TRAIN: &[&str] = &["channel:read:hype_train"];
const POLLS: &[&str] = &["channel:read:polls", "channel:manage:polls"];
const PREDICTIONS: &[&str] = &["channel:read:predictions", "channel:manage:predictions"];
const ADS: &[&str] = &["channel:read:ads"];
const SHOUTOUTS: &[&str] = &["moderator:read:shoutouts", "moderator:manage:shoutouts"];

const fn spec(
    kind: &'static str,
    version: &'static str,
    condition: ConditionShape,
    access: Access,
) -> SubscriptionSpec {
    SubscriptionSpec { kind, version, condition, access }
}

use Access::{Broadcaster as B, Public};
use ConditionShape::{Broadcaster as Bc, BroadcasterAsModerator as Mod, RaidFrom, RaidTo};

/// Every per-streamer subscription sev keeps. The public ones exist for every favorite streamer; the others once
/// the streamer connects their channel.
pub const STREAMER_SUBSCRIPTIONS: &[SubscriptionSpec] = &[
    spec("stream.online", "1", Bc, Public),
    spec("stream.offline", "1", Bc, Public),
    spec("channel.update", "2", Bc, Public),
    spec("channel.raid", "1", RaidTo, Public),
    spec("channel.raid", "1", RaidFrom, Public),
    spec("channel.follow", "2", Mod, B(FOLLOWERS)),
    spec("channel.subscribe", "1", Bc, B(SUBSCRIPTIONS)),
    spec("channel.subscription.message", "1", Bc, B(SUBSCRIPTIONS)),
    spec("channel.subscription.gift", "1", Bc, B(SUBSCRIPTIONS)),
    spec("channel.cheer", "1", Bc, B(BITS)),
    spec("channel.channel_points_custom_reward_redemption.add", "1", Bc, B(REDEMPTIONS)),
    spec("channel.hype_train.begin", "2", Bc, B(HYPE_TRAIN)),
    spec("channel.hype_train.progress", "2", Bc, B(HYPE_TRAIN)),
    spec("channel.hype_train.end", "2", Bc, B(HYPE_TRAIN)),
    spec("channel.poll.begin", "1", Bc, B(POLLS)),
    spec("channel.poll.progress", "1", Bc, B(POLLS)),
    spec("channel.poll.end", "1", Bc, B(POLLS)),
    spec("channel.prediction.begin", "1", Bc, B(PREDICTIONS)),
    spec("channel.prediction.progress", "1", Bc, B(PREDICTIONS)),
    spec("channel.prediction.lock", "1", Bc, B(PREDICTIONS)),
    spec("channel.prediction.end", "1", Bc, B(PREDICTIONS)),
    spec("channel.ad_break.begin", "1", Bc, B(ADS)),
    spec("channel.shoutout.create", "1", Mod, B(SHOUTOUTS)),
    spec("channel.shoutout.receive", "1", Mod, B(SHOUTOUTS)),
];

/// The app-level subscription that tells sev when a streamer disconnects it.
pub const AUTHORIZATION_REVOKE: SubscriptionSpec =
    spec("user.authorization.revoke", "1", ConditionShape::ClientId, Access::App);

/// The scopes a streamer grants with "Connect your channel": the first scope of each authorized type.
pub fn connect_scopes() -> Vec<&'static str> {
    let mut scopes: Vec<&'static str> = STREAMER_SUBSCRIPTIONS
        .iter()
        .filter_map(|s| match s.access {
            Access::Broadcaster(scopes) => scopes.first().copied(),
            _ => None,
        })
        .collect();
    scopes.dedup();
    scopes
}

/// Looks a type and version up.
pub fn find(kind: &str, version: &str) -> Option<&'static SubscriptionSpec> {
    STREAMER_SUBSCRIPTIONS.iter().chain([&AUTHORIZATION_REVOKE]).find(|s| s.kind == kind && s.version == version)
}

impl SubscriptionSpec {
    /// The condition for this type on `user_id` (a broadcaster, or sev's client id for app-level types).
    pub fn condition(&self, user_id: &str) -> Value {
        match self.condition {
            ConditionShape::Broadcaster => json!({ "broadcaster_user_id": user_id }),
            ConditionShape::BroadcasterAsModerator => {
                json!({ "broadcaster_user_id": user_id, "moderator_user_id": user_id })
            }
            ConditionShape::RaidTo => json!({ "to_broadcaster_user_id": user_id }),
            ConditionShape::RaidFrom => json!({ "from_broadcaster_user_id": user_id }),
            ConditionShape::ClientId => json!({ "client_id": user_id }),
        }
    }

    /// Whether the streamer must connect their channel first.
    pub fn needs_authorization(&self) -> bool {
        matches!(self.access, Access::Broadcaster(_))
    }

    /// Whether `granted` scopes authorize this type.
    pub fn authorized_by(&self, granted: &[String]) -> bool {
        match self.access {
            Access::Broadcaster(any_of) => any_of.iter().any(|s| granted.iter().any(|g| g == s)),
            Access::Public | Access::App => true,
        }
    }
}

/// A canonical text form of a condition (keys sorted, empty values dropped), for comparing conditions.
pub fn condition_key(condition: &Value) -> String {
    let mut pairs: Vec<(String, String)> = condition
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().filter(|v| !v.is_empty()).map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raids_are_kept_in_both_directions() {
        let raids: Vec<_> = STREAMER_SUBSCRIPTIONS.iter().filter(|s| s.kind == "channel.raid").collect();
        assert_eq!(raids.len(), 2);
        assert_eq!(condition_key(&raids[0].condition("42")), "to_broadcaster_user_id=42");
        assert_eq!(condition_key(&raids[1].condition("42")), "from_broadcaster_user_id=42");
    }

    #[test]
    fn follows_name_the_broadcaster_as_moderator() {
        let follow = find("channel.follow", "2").unwrap();
        assert_eq!(condition_key(&follow.condition("7")), "broadcaster_user_id=7&moderator_user_id=7");
        assert!(follow.needs_authorization());
        assert!(follow.authorized_by(&["moderator:read:followers".to_string()]));
        assert!(!follow.authorized_by(&["bits:read".to_string()]));
    }

    #[test]
    fn connect_scopes_cover_every_authorized_type() {
        let scopes: Vec<String> = connect_scopes().into_iter().map(String::from).collect();
        for s in STREAMER_SUBSCRIPTIONS {
            assert!(s.authorized_by(&scopes), "{} is not covered", s.kind);
        }
        let unique: std::collections::HashSet<_> = scopes.iter().collect();
        assert_eq!(unique.len(), scopes.len(), "no scope is asked for twice");
    }

    #[test]
    fn condition_keys_ignore_order_and_empty_values() {
        let a = serde_json::json!({"b": "2", "a": "1", "c": ""});
        assert_eq!(condition_key(&a), "a=1&b=2");
    }
}
