//! Messages the mock posts to callbacks once subscriptions exist: notifications, resends, revocations, a user
//! disconnecting the app, and demo mode's feed filler.

mod common;

use std::collections::BTreeSet;

use common::eventsub::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use twitch::eventsub::catalog::{ConditionShape, STREAMER_SUBSCRIPTIONS, connect_scopes};
use twitch::eventsub::message::{
    MESSAGE_ID, MESSAGE_RETRY, MESSAGE_TIMESTAMP, SUBSCRIPTION_TYPE, SUBSCRIPTION_VERSION,
};
use twitch_mock::user_id_for;

/// A mock with an enabled `stream.online` subscription for sevdemo pointing at a fresh receiver.
async fn enabled_subscription() -> (TestTwitch, Receiver, String) {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let id = twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/cb")).await;
    twitch.mock.settle().await;
    assert_eq!(twitch.status_of(&id), "enabled");
    (twitch, receiver, id)
}

#[tokio::test]
async fn a_delivered_notification_is_signed_with_the_subscription_secret() {
    let (twitch, receiver, id) = enabled_subscription().await;
    let event = json!({"id": "1", "broadcaster_user_id": user_id_for("sevdemo"), "type": "live"});

    let delivery = twitch.mock.deliver(&id, event.clone()).await.expect("delivered");

    assert_eq!(delivery.status, 204);
    let notifications = receiver.of_type("notification");
    assert_eq!(notifications.len(), 1);
    let notification = &notifications[0];
    assert!(notification.signature_verifies(SECRET));
    assert_eq!(notification.header(MESSAGE_ID), delivery.message_id);
    assert_eq!(notification.header(MESSAGE_RETRY), "0");
    assert_eq!(notification.header(SUBSCRIPTION_TYPE), "stream.online");
    assert_eq!(notification.header(SUBSCRIPTION_VERSION), "1");
    let body = notification.json();
    assert_eq!(body["event"], event);
    assert_eq!(body["subscription"]["id"], id.as_str());
    assert_eq!(body["subscription"]["status"], "enabled");
    let envelope: twitch::eventsub::Envelope = serde_json::from_slice(&notification.body).expect("envelope");
    assert_eq!(envelope.subscription.kind, "stream.online");
}

#[tokio::test]
async fn the_callbacks_answer_status_is_reported() {
    let (twitch, receiver, id) = enabled_subscription().await;
    receiver.answer(Answer::ServerError);

    let delivery = twitch.mock.deliver(&id, json!({})).await.expect("delivered");

    assert_eq!(delivery.status, 500);
}

#[tokio::test]
async fn only_enabled_subscriptions_receive_notifications() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    receiver.answer(Answer::WrongChallenge);
    let failed =
        twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/cb")).await;
    twitch.mock.settle().await;

    let to_failed = twitch.mock.deliver(&failed, json!({})).await;
    let to_unknown = twitch.mock.deliver("no-such-id", json!({})).await;

    assert!(to_failed.expect_err("not enabled").contains("webhook_callback_verification_failed"));
    assert!(to_unknown.is_err());
    assert!(receiver.of_type("notification").is_empty());
}

#[tokio::test]
async fn a_redelivery_repeats_the_message_id_and_body_with_a_fresh_timestamp() {
    let (twitch, receiver, id) = enabled_subscription().await;
    let first = twitch.mock.deliver(&id, json!({"n": 1})).await.expect("delivered");

    let second = twitch.mock.redeliver(&first.message_id).await.expect("redelivered");

    assert_eq!(second.message_id, first.message_id);
    let notifications = receiver.of_type("notification");
    assert_eq!(notifications.len(), 2);
    assert_eq!(notifications[0].header(MESSAGE_ID), notifications[1].header(MESSAGE_ID));
    assert_eq!(notifications[0].body, notifications[1].body);
    assert_ne!(notifications[0].header(MESSAGE_TIMESTAMP), notifications[1].header(MESSAGE_TIMESTAMP));
    assert_eq!(notifications[1].header(MESSAGE_RETRY), "1");
    assert!(notifications[1].signature_verifies(SECRET), "the resend is signed over its new timestamp");
    assert!(twitch.mock.redeliver("never-sent").await.is_err());
}

#[tokio::test]
async fn revoking_a_subscription_sends_a_signed_revocation_without_an_event() {
    let (twitch, receiver, id) = enabled_subscription().await;

    let delivery = twitch.mock.revoke_subscription(&id, "notification_failures_exceeded").await.expect("sent");

    assert_eq!(delivery.status, 204);
    assert_eq!(twitch.status_of(&id), "notification_failures_exceeded");
    let revocations = receiver.of_type("revocation");
    assert_eq!(revocations.len(), 1);
    assert!(revocations[0].signature_verifies(SECRET));
    let body = revocations[0].json();
    assert!(body.get("event").is_none());
    assert_eq!(body["subscription"]["status"], "notification_failures_exceeded");
    assert!(twitch.mock.deliver(&id, json!({})).await.is_err(), "a revoked subscription gets no more events");
    assert!(twitch.mock.revoke_subscription(&id, "user_removed").await.is_err());
}

#[tokio::test]
async fn a_revocation_needs_a_reason_twitch_gives() {
    let (twitch, receiver, id) = enabled_subscription().await;

    let refused = twitch.mock.revoke_subscription(&id, "enabled").await;

    assert!(refused.is_err());
    assert_eq!(twitch.status_of(&id), "enabled");
    assert!(receiver.of_type("revocation").is_empty());
}

#[tokio::test]
async fn a_user_disconnecting_revokes_their_scoped_subscriptions_and_notifies_the_app() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let user = twitch.user_tokens("pixel_panda", "channel:read:subscriptions").await;
    let callback = receiver.callback("/cb");
    let scoped = twitch.subscribe(&token, "channel.subscribe", "1", broadcaster("pixel_panda"), &callback).await;
    let public = twitch.subscribe(&token, "stream.online", "1", broadcaster("pixel_panda"), &callback).await;
    let other = twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &callback).await;
    let watcher =
        twitch.subscribe(&token, "user.authorization.revoke", "1", json!({"client_id": CLIENT_ID}), &callback).await;
    twitch.mock.settle().await;

    twitch.mock.revoke_user_authorization("Pixel_Panda").await;

    assert_eq!(twitch.status_of(&scoped), "authorization_revoked");
    assert_eq!(twitch.status_of(&public), "enabled", "public types need no authorization");
    assert_eq!(twitch.status_of(&other), "enabled");
    let revocations = receiver.of_type("revocation");
    assert_eq!(revocations.len(), 1);
    assert_eq!(revocations[0].json()["subscription"]["id"], scoped.as_str());
    assert_eq!(revocations[0].json()["subscription"]["status"], "authorization_revoked");
    let notifications = receiver.of_type("notification");
    assert_eq!(notifications.len(), 1);
    assert!(notifications[0].signature_verifies(SECRET));
    let body = notifications[0].json();
    assert_eq!(body["subscription"]["id"], watcher.as_str());
    assert_eq!(
        body["event"],
        json!({
            "client_id": CLIENT_ID,
            "user_id": user_id_for("pixel_panda"),
            "user_login": "pixel_panda",
            "user_name": "PixelPanda",
        })
    );
    assert_eq!(twitch.validate(&user.access_token).await.status(), StatusCode::UNAUTHORIZED);
    let again = subscription_request("channel.subscribe", "1", broadcaster("pixel_panda"), &callback);
    assert_eq!(twitch.create_subscription(&token, &again).await.status(), StatusCode::FORBIDDEN);
}

/// Subscribes to every streamer type for sevdemo after sevdemo connected the channel with every scope sev asks.
async fn fully_subscribed_sevdemo(twitch: &TestTwitch, callback: &str) -> usize {
    let token = twitch.app_token().await;
    twitch.user_tokens("sevdemo", &connect_scopes().join(" ")).await;
    for spec in STREAMER_SUBSCRIPTIONS {
        twitch.subscribe(&token, spec.kind, spec.version, spec.condition(&user_id_for("sevdemo")), callback).await;
    }
    twitch.mock.settle().await;
    STREAMER_SUBSCRIPTIONS.len()
}

#[tokio::test]
async fn fill_feed_delivers_a_mix_covering_every_subscription_of_the_broadcaster() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let subscriptions = fully_subscribed_sevdemo(&twitch, &receiver.callback("/cb")).await;

    let delivered = twitch.mock.fill_feed("sevdemo", subscriptions).await;

    assert_eq!(delivered, subscriptions);
    let notifications = receiver.of_type("notification");
    assert_eq!(notifications.len(), subscriptions);
    let subscription_ids: BTreeSet<String> =
        notifications.iter().map(|n| n.json()["subscription"]["id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(subscription_ids.len(), subscriptions, "every subscription got one event");
    let sevdemo = user_id_for("sevdemo");
    for notification in &notifications {
        assert!(notification.signature_verifies(SECRET));
        let body = notification.json();
        let condition = &body["subscription"]["condition"];
        let event = &body["event"];
        if let Some(to) = condition["to_broadcaster_user_id"].as_str() {
            assert_eq!(event["to_broadcaster_user_id"], to);
        } else if let Some(from) = condition["from_broadcaster_user_id"].as_str() {
            assert_eq!(event["from_broadcaster_user_id"], from);
        } else {
            assert_eq!(event["broadcaster_user_id"], sevdemo.as_str(), "{body}");
        }
    }
}

#[tokio::test]
async fn fill_feed_sends_as_many_events_as_asked_even_beyond_one_per_subscription() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    fully_subscribed_sevdemo(&twitch, &receiver.callback("/cb")).await;

    let delivered = twitch.mock.fill_feed("SevDemo", 60).await;

    assert_eq!(delivered, 60);
    assert_eq!(receiver.of_type("notification").len(), 60);
}

#[tokio::test]
async fn fill_feed_delivers_nothing_without_enabled_subscriptions_or_a_known_broadcaster() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;
    twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), "http://127.0.0.1:9/nobody").await;
    twitch.mock.settle().await;

    assert_eq!(twitch.mock.fill_feed("sevdemo", 5).await, 0);
    assert_eq!(twitch.mock.fill_feed("nobody_here", 5).await, 0);
}

#[tokio::test]
async fn the_fill_control_route_fills_the_feed_and_reports_the_count() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let raid_from = STREAMER_SUBSCRIPTIONS.iter().find(|s| s.condition == ConditionShape::RaidFrom).expect("raid");
    twitch
        .subscribe(
            &token,
            raid_from.kind,
            raid_from.version,
            raid_from.condition(&user_id_for("sevdemo")),
            &receiver.callback("/cb"),
        )
        .await;
    twitch.mock.settle().await;

    let response =
        twitch.http.post(twitch.url("/_mock/fill?broadcaster=sevdemo&count=3")).send().await.expect("request");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    let unknown: Value = twitch
        .http
        .post(twitch.url("/_mock/fill?broadcaster=nobody_here"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let missing = twitch.http.post(twitch.url("/_mock/fill")).send().await.expect("request").status();

    assert_eq!((status, body), (StatusCode::OK, json!({"delivered": 3})));
    assert_eq!(unknown, json!({"delivered": 0}));
    assert_eq!(missing, StatusCode::BAD_REQUEST);
    for raid in receiver.of_type("notification") {
        assert_eq!(raid.json()["event"]["from_broadcaster_user_login"], "sevdemo", "a raid out of the channel");
    }
}
