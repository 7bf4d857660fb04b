//! The public payload builders, checked against the examples in Twitch's docs (testdata/twitch-payloads) and
//! against sev's own parser and signature check in the `twitch` crate.

use std::collections::BTreeSet;
use std::path::PathBuf;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use twitch::eventsub::catalog::{AUTHORIZATION_REVOKE, ConditionShape, STREAMER_SUBSCRIPTIONS, SubscriptionSpec};
use twitch::eventsub::message::{Envelope, MessageHeaders, MessageType};
use twitch::eventsub::signature::verify;
use twitch_mock::payloads::{self, event, raid_from};
use twitch_mock::{UserProfile, profile_for};

fn example(name: &str) -> Option<Value> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "testdata", "twitch-payloads", name].iter().collect();
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).expect("the docs example is JSON"))
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().expect("object").keys().cloned().collect()
}

fn sevdemo() -> UserProfile {
    profile_for("sevdemo", "http://mock.test")
}

fn every_spec() -> impl Iterator<Item = &'static SubscriptionSpec> {
    STREAMER_SUBSCRIPTIONS.iter().chain(std::iter::once(&AUTHORIZATION_REVOKE))
}

fn event_for(spec: &SubscriptionSpec, seq: u64) -> Value {
    match spec.condition {
        ConditionShape::RaidFrom => raid_from(&sevdemo(), seq),
        _ => event(spec.kind, spec.version, &sevdemo(), seq),
    }
}

#[test]
fn every_catalog_type_gets_an_event_with_the_docs_examples_top_level_keys() {
    let mut compared = BTreeSet::new();
    for spec in every_spec() {
        let Some(example) = example(&format!("{}.json", spec.kind)) else { continue };
        let expected = keys(&example["event"]);
        for seq in 0..12 {
            let built = event_for(spec, seq);
            assert_eq!(keys(&built), expected, "{} v{} seq {seq}", spec.kind, spec.version);
        }
        compared.insert(spec.kind);
    }
    assert_eq!(compared.len(), 21, "every docs example was compared: {compared:?}");
}

#[test]
fn types_without_a_docs_example_still_name_the_broadcasters_channel() {
    for spec in every_spec().filter(|spec| example(&format!("{}.json", spec.kind)).is_none()) {
        let built = event_for(spec, 1);
        assert_eq!(built["broadcaster_user_id"], sevdemo().id.as_str(), "{}", spec.kind);
        assert_eq!(built["broadcaster_user_login"], "sevdemo");
        assert_eq!(built["broadcaster_user_name"], "SevDemo");
    }
    let ad_break = event("channel.ad_break.begin", "1", &sevdemo(), 0);
    assert!(ad_break["duration_seconds"].is_u64() && ad_break["is_automatic"].is_boolean());
}

#[test]
fn events_name_the_broadcaster_where_the_condition_does() {
    let into = event("channel.raid", "1", &sevdemo(), 0);
    assert_eq!(into["to_broadcaster_user_id"], sevdemo().id.as_str());
    let out = raid_from(&sevdemo(), 0);
    assert_eq!(out["from_broadcaster_user_id"], sevdemo().id.as_str());
    let follow = event("channel.follow", "2", &sevdemo(), 0);
    assert_eq!(follow["broadcaster_user_id"], sevdemo().id.as_str());
    assert_ne!(follow["user_id"], sevdemo().id.as_str());
    let revoke = event("user.authorization.revoke", "1", &sevdemo(), 0);
    assert_eq!(revoke["user_login"], "sevdemo");
}

#[test]
fn consecutive_sequence_numbers_vary_people_and_amounts() {
    let follows: BTreeSet<String> =
        (0..6).map(|seq| event("channel.follow", "2", &sevdemo(), seq)["user_login"].to_string()).collect();
    let cheers: BTreeSet<String> =
        (0..5).map(|seq| event("channel.cheer", "1", &sevdemo(), seq)["bits"].to_string()).collect();
    assert_eq!(follows.len(), 6);
    assert!(cheers.len() > 2);
    let anonymous_cheers =
        (0..10).filter(|seq| event("channel.cheer", "1", &sevdemo(), *seq)["is_anonymous"] == true).count();
    assert!((1..10).contains(&anonymous_cheers), "anonymous cheers now and then");
}

#[test]
fn every_timestamp_in_an_event_has_nanoseconds() {
    fn check(value: &Value, kind: &str) {
        match value {
            Value::Object(fields) => {
                for (key, value) in fields {
                    if let (true, Some(text)) = (key.ends_with("_at"), value.as_str()) {
                        let fraction = text.split_once('.').map(|(_, fraction)| fraction).unwrap_or_default();
                        assert_eq!(fraction.len(), 10, "{kind}.{key} = {text}");
                        assert!(text.ends_with('Z'));
                    }
                    check(value, kind);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| check(item, kind)),
            _ => {}
        }
    }
    for spec in every_spec() {
        check(&event_for(spec, 2), spec.kind);
    }
}

#[test]
fn message_bodies_have_the_docs_examples_shape() {
    let subscription = payloads::subscription_object(
        "f1c2a387-161a-49f9-a165-0f21d7a4e1c4",
        "channel.raid",
        "1",
        &json!({"to_broadcaster_user_id": "1337"}),
        "https://example.com/webhooks/callback",
        "enabled",
        0,
    );
    let notification_example = example("channel.raid.json").expect("example");
    assert_eq!(keys(&subscription), keys(&notification_example["subscription"]));
    assert_eq!(subscription["transport"], notification_example["subscription"]["transport"]);

    let raid = event("channel.raid", "1", &sevdemo(), 0);
    let notification: Value = serde_json::from_slice(&payloads::notification_body(&subscription, &raid)).expect("json");
    assert_eq!(keys(&notification), keys(&notification_example));
    let revocation: Value = serde_json::from_slice(&payloads::revocation_body(&subscription)).expect("json");
    assert_eq!(keys(&revocation), keys(&example("revocation.json").expect("example")));
    let verification: Value =
        serde_json::from_slice(&payloads::verification_body(&subscription, "pogchamp")).expect("json");
    assert_eq!(keys(&verification), keys(&example("webhook_callback_verification.json").expect("example")));
    assert_eq!(verification["challenge"], "pogchamp");
}

#[test]
fn signed_headers_pass_sevs_own_header_parser_and_signature_check() {
    let subscription =
        payloads::subscription_object("id", "channel.follow", "2", &json!({}), "https://x.test/cb", "enabled", 0);
    let body = payloads::notification_body(&subscription, &event("channel.follow", "2", &sevdemo(), 3));
    let message_id = payloads::new_message_id();
    let timestamp = payloads::now_timestamp();

    let headers = payloads::signed_headers(
        "0123456789abc",
        &message_id,
        &timestamp,
        "notification",
        "channel.follow",
        "2",
        &body,
    );

    let mut map = HeaderMap::new();
    for (name, value) in &headers {
        map.insert(HeaderName::from_static(name), HeaderValue::from_str(value).expect("header value"));
    }
    let parsed = MessageHeaders::from_headers(&map).expect("every required header");
    assert_eq!(parsed.message_id, message_id);
    assert_eq!(parsed.timestamp, timestamp);
    assert_eq!(parsed.message_type, MessageType::Notification);
    assert!(verify("0123456789abc", &message_id, &timestamp, &body, &parsed.signature));
    assert_eq!(map["twitch-eventsub-subscription-type"], "channel.follow");
    assert_eq!(map["twitch-eventsub-subscription-version"], "2");
    assert_eq!(map["twitch-eventsub-message-retry"], "0");
    assert_eq!(map["content-type"], "application/json");
    let envelope: Envelope = serde_json::from_slice(&body).expect("sev parses the body");
    assert_eq!(envelope.subscription.kind, "channel.follow");
    assert!(envelope.event.is_some());
}
