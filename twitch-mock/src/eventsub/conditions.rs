//! Matching a create request's type, version and condition against the catalog.
//!
//! Twitch answers 400 for a condition that lacks a field, has a field the type does not know, or (for raids)
//! names both directions. `channel.raid` has two catalog entries with the same type and version, one per
//! direction, so the condition's fields decide which entry applies.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use twitch::eventsub::catalog::{AUTHORIZATION_REVOKE, ConditionShape, STREAMER_SUBSCRIPTIONS, SubscriptionSpec, find};

/// Every type and version the mock accepts.
fn all_specs() -> impl Iterator<Item = &'static SubscriptionSpec> {
    STREAMER_SUBSCRIPTIONS.iter().chain(std::iter::once(&AUTHORIZATION_REVOKE))
}

/// The fields a condition of this shape must have.
pub(super) fn required_fields(shape: ConditionShape) -> &'static [&'static str] {
    match shape {
        ConditionShape::Broadcaster => &["broadcaster_user_id"],
        ConditionShape::BroadcasterAsModerator => &["broadcaster_user_id", "moderator_user_id"],
        ConditionShape::RaidTo => &["to_broadcaster_user_id"],
        ConditionShape::RaidFrom => &["from_broadcaster_user_id"],
        ConditionShape::ClientId => &["client_id"],
    }
}

/// The fields a condition of this type may have besides the required ones.
fn optional_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "channel.channel_points_custom_reward_redemption.add" => &["reward_id"],
        _ => &[],
    }
}

/// The condition field naming the user whose authorization counts: the broadcaster, or for moderator-shaped
/// conditions the moderator. `None` for app-level conditions.
pub(super) fn authorizing_field(shape: ConditionShape) -> Option<&'static str> {
    match shape {
        ConditionShape::Broadcaster => Some("broadcaster_user_id"),
        ConditionShape::BroadcasterAsModerator => Some("moderator_user_id"),
        ConditionShape::RaidTo => Some("to_broadcaster_user_id"),
        ConditionShape::RaidFrom => Some("from_broadcaster_user_id"),
        ConditionShape::ClientId => None,
    }
}

/// Finds the catalog entry for the type, version and condition, or says in a 400 message what is wrong.
/// Fields with an empty string count as absent, as `condition_key` treats them.
pub(super) fn resolve_spec(
    kind: &str,
    version: &str,
    condition: &Map<String, Value>,
) -> Result<&'static SubscriptionSpec, String> {
    if find(kind, version).is_none() {
        return Err(if all_specs().any(|spec| spec.kind == kind) {
            format!("version {version:?} of subscription type {kind:?} is not supported")
        } else {
            format!("unsupported subscription type {kind:?}")
        });
    }
    let mut present = BTreeSet::new();
    for (field, value) in condition {
        match value.as_str() {
            Some("") => {}
            Some(_) => {
                present.insert(field.as_str());
            }
            None => return Err(format!("condition.{field} must be a string")),
        }
    }

    let candidates: Vec<&'static SubscriptionSpec> =
        all_specs().filter(|spec| spec.kind == kind && spec.version == version).collect();
    let fits = |spec: &SubscriptionSpec| {
        let required = required_fields(spec.condition);
        let optional = optional_fields(spec.kind);
        required.iter().all(|field| present.contains(field))
            && present.iter().all(|field| required.contains(field) || optional.contains(field))
    };
    if let Some(spec) = candidates.iter().copied().find(|spec| fits(spec)) {
        return Ok(spec);
    }

    if candidates.len() > 1 {
        let alternatives: Vec<&str> =
            candidates.iter().flat_map(|spec| required_fields(spec.condition)).copied().collect();
        return Err(format!("the condition of {kind} must have exactly one of {}", alternatives.join(" or ")));
    }
    let spec = candidates[0];
    let required = required_fields(spec.condition);
    if let Some(missing) = required.iter().find(|field| !present.contains(*field)) {
        return Err(format!("condition.{missing} is required for {kind}"));
    }
    let unknown = present.iter().find(|field| !required.contains(field)).copied().unwrap_or_default();
    Err(format!("condition.{unknown} is not a condition field of {kind}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn condition(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    #[test]
    fn raids_resolve_to_the_direction_the_condition_names() {
        let to = resolve_spec("channel.raid", "1", &condition(json!({"to_broadcaster_user_id": "1"}))).expect("to");
        assert_eq!(to.condition, ConditionShape::RaidTo);
        let from = resolve_spec(
            "channel.raid",
            "1",
            &condition(json!({"from_broadcaster_user_id": "1", "to_broadcaster_user_id": ""})),
        )
        .expect("from");
        assert_eq!(from.condition, ConditionShape::RaidFrom);
    }

    #[test]
    fn both_raid_directions_are_refused() {
        let both = json!({"from_broadcaster_user_id": "1", "to_broadcaster_user_id": "2"});
        let message = resolve_spec("channel.raid", "1", &condition(both)).expect_err("both");
        assert!(message.contains("exactly one of"), "{message}");
    }

    #[test]
    fn missing_unknown_and_non_string_fields_are_named() {
        let follow = resolve_spec("channel.follow", "2", &condition(json!({"broadcaster_user_id": "1"})));
        assert_eq!(follow.expect_err("missing"), "condition.moderator_user_id is required for channel.follow");
        let extra = resolve_spec("stream.online", "1", &condition(json!({"broadcaster_user_id": "1", "x": "2"})));
        assert_eq!(extra.expect_err("unknown"), "condition.x is not a condition field of stream.online");
        let number = resolve_spec("stream.online", "1", &condition(json!({"broadcaster_user_id": 1})));
        assert_eq!(number.expect_err("number"), "condition.broadcaster_user_id must be a string");
    }

    #[test]
    fn unknown_types_and_versions_are_told_apart() {
        let empty = Map::new();
        assert!(resolve_spec("channel.follow", "1", &empty).expect_err("v1").starts_with("version"));
        assert!(resolve_spec("channel.nope", "1", &empty).expect_err("type").starts_with("unsupported"));
    }

    #[test]
    fn a_redemption_condition_may_name_a_reward() {
        let with_reward = json!({"broadcaster_user_id": "1", "reward_id": "abc"});
        assert!(
            resolve_spec("channel.channel_points_custom_reward_redemption.add", "1", &condition(with_reward)).is_ok()
        );
    }
}
