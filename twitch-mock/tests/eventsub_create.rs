//! Creating EventSub webhook subscriptions: the 202, the challenge and its outcome, and every refusal sev must
//! be ready for (400, 401, 403, 409, 429).

mod common;

use common::eventsub::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use twitch::eventsub::message::{
    MESSAGE_ID, MESSAGE_RETRY, MESSAGE_TIMESTAMP, SUBSCRIPTION_TYPE, SUBSCRIPTION_VERSION,
};
use twitch_mock::user_id_for;

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.expect("json body"))
}

/// `2024-05-01T12:34:56.123456789Z`
fn is_nanosecond_timestamp(value: &str) -> bool {
    value.len() == 30 && value.ends_with('Z') && value.as_bytes()[19] == b'.'
}

#[tokio::test]
async fn a_mock_told_where_its_app_lives_posts_nowhere_else() {
    let receiver = Receiver::start().await;
    let allowed = receiver.callback("/");
    let twitch = TestTwitch::start_with(Some(allowed.clone())).await;
    let token = twitch.app_token().await;
    for elsewhere in ["http://169.254.169.254/latest/meta-data", "http://127.0.0.1:1/eventsub"] {
        let request = subscription_request("stream.online", "1", broadcaster("pixel_panda"), elsewhere);
        let (status, body) = json_of(twitch.create_subscription(&token, &request).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{elsewhere}");
        assert!(body["message"].as_str().unwrap_or_default().contains("must be under"), "{body}");
    }
    assert!(twitch.mock.subscriptions().is_empty());
    let request =
        subscription_request("stream.online", "1", broadcaster("pixel_panda"), &receiver.callback("/eventsub"));
    assert_eq!(json_of(twitch.create_subscription(&token, &request).await).await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_subscription_whose_challenge_is_answered_becomes_enabled() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let callback = receiver.callback("/eventsub");

    let (status, body) = json_of(
        twitch
            .create_subscription(
                &token,
                &subscription_request("stream.online", "1", broadcaster("pixel_panda"), &callback),
            )
            .await,
    )
    .await;

    assert_eq!(status, StatusCode::ACCEPTED);
    let created = &body["data"][0];
    assert_eq!(created["status"], "webhook_callback_verification_pending");
    assert_eq!(created["type"], "stream.online");
    assert_eq!(created["version"], "1");
    assert_eq!(created["condition"], broadcaster("pixel_panda"));
    assert_eq!(created["transport"], json!({"method": "webhook", "callback": callback}), "the secret is never shown");
    assert_eq!(created["cost"], 1);
    assert!(is_nanosecond_timestamp(created["created_at"].as_str().expect("created_at")), "{created}");
    assert_eq!(created["id"].as_str().expect("id").len(), 36);
    assert_eq!((body["total"].clone(), body["total_cost"].clone()), (json!(1), json!(1)));
    assert_eq!(body["max_total_cost"], 10_000);

    twitch.mock.settle().await;
    let id = created["id"].as_str().expect("id");
    assert_eq!(twitch.status_of(id), "enabled");
    let subscriptions = twitch.mock.subscriptions();
    assert_eq!(subscriptions[0].transport.callback.as_deref(), Some(callback.as_str()));
}

#[tokio::test]
async fn the_challenge_is_signed_with_the_secret_and_shaped_like_twitchs() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;

    let id = twitch
        .subscribe(
            &token,
            "channel.raid",
            "1",
            json!({"to_broadcaster_user_id": user_id_for("sevdemo")}),
            &receiver.callback("/cb"),
        )
        .await;
    twitch.mock.settle().await;

    let challenges = receiver.of_type("webhook_callback_verification");
    assert_eq!(challenges.len(), 1);
    let challenge = &challenges[0];
    assert_eq!(challenge.path, "/cb");
    assert!(challenge.signature_verifies(SECRET));
    assert!(!challenge.signature_verifies("another-secret"));
    assert_eq!(challenge.header("content-type"), "application/json");
    assert_eq!(challenge.header(MESSAGE_RETRY), "0");
    assert_eq!(challenge.header(SUBSCRIPTION_TYPE), "channel.raid");
    assert_eq!(challenge.header(SUBSCRIPTION_VERSION), "1");
    assert!(is_nanosecond_timestamp(challenge.header(MESSAGE_TIMESTAMP)));
    assert!(!challenge.header(MESSAGE_ID).is_empty());
    let body = challenge.json();
    assert!(!body["challenge"].as_str().expect("challenge").is_empty());
    assert_eq!(body["subscription"]["id"], id.as_str());
    assert_eq!(body["subscription"]["status"], "webhook_callback_verification_pending");
    assert_eq!(body["subscription"]["transport"]["callback"], receiver.callback("/cb"));
}

#[tokio::test]
async fn a_wrong_challenge_answer_or_an_error_status_fails_verification() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;

    receiver.answer(Answer::WrongChallenge);
    let wrong = twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/a")).await;
    twitch.mock.settle().await;
    receiver.answer(Answer::ServerError);
    let error = twitch.subscribe(&token, "stream.offline", "1", broadcaster("sevdemo"), &receiver.callback("/b")).await;
    twitch.mock.settle().await;

    assert_eq!(twitch.status_of(&wrong), "webhook_callback_verification_failed");
    assert_eq!(twitch.status_of(&error), "webhook_callback_verification_failed");
}

#[tokio::test]
async fn an_unreachable_callback_fails_verification() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;

    let id = twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), "http://127.0.0.1:9/nobody").await;
    twitch.mock.settle().await;

    assert_eq!(twitch.status_of(&id), "webhook_callback_verification_failed");
}

#[tokio::test]
async fn a_live_duplicate_is_refused_with_409_whether_pending_or_enabled() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let request = subscription_request("stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/cb"));
    twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/cb")).await;

    let (pending_status, pending_body) = json_of(twitch.create_subscription(&token, &request).await).await;
    twitch.mock.settle().await;
    let (enabled_status, enabled_body) = json_of(twitch.create_subscription(&token, &request).await).await;

    let conflict = json!({"error": "Conflict", "status": 409, "message": "subscription already exists"});
    assert_eq!((pending_status, pending_body), (StatusCode::CONFLICT, conflict.clone()));
    assert_eq!((enabled_status, enabled_body), (StatusCode::CONFLICT, conflict));
}

#[tokio::test]
async fn a_failed_subscription_does_not_block_creating_it_again() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    receiver.answer(Answer::WrongChallenge);
    let failed =
        twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/cb")).await;
    twitch.mock.settle().await;

    receiver.answer(Answer::Correct);
    let again = twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/cb")).await;
    twitch.mock.settle().await;

    assert_eq!(twitch.status_of(&failed), "webhook_callback_verification_failed");
    assert_eq!(twitch.status_of(&again), "enabled");
}

#[tokio::test]
async fn a_user_token_cannot_manage_webhook_subscriptions() {
    let twitch = TestTwitch::start().await;
    let user = twitch.user_tokens("pixel_panda", "channel:read:subscriptions").await;
    let request = subscription_request("stream.online", "1", broadcaster("pixel_panda"), "https://example.com/cb");

    let (status, body) = json_of(twitch.create_subscription(&user.access_token, &request).await).await;
    let list = twitch.list_subscriptions(&user.access_token, "").await.status();
    let delete = twitch.delete_subscription(&user.access_token, "id=x").await.status();

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "Unauthorized");
    assert_eq!(body["status"], 401);
    assert!(body["message"].as_str().expect("message").contains("app access token"));
    assert_eq!((list, delete), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert!(twitch.mock.subscriptions().is_empty());
}

#[tokio::test]
async fn the_helix_gate_applies_to_the_subscriptions_api() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;

    let wrong_client = twitch
        .http
        .get(twitch.url("/helix/eventsub/subscriptions"))
        .bearer_auth(&token)
        .header("Client-Id", OTHER_CLIENT_ID)
        .send()
        .await
        .expect("request");
    let listed = twitch.list_subscriptions(&token, "").await;

    assert_eq!(wrong_client.status(), StatusCode::UNAUTHORIZED);
    assert!(listed.headers().contains_key("ratelimit-remaining"));
}

#[tokio::test]
async fn a_scoped_type_needs_the_broadcaster_to_have_granted_the_client_a_scope_for_it() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let request = subscription_request("channel.subscribe", "1", broadcaster("pixel_panda"), &receiver.callback("/cb"));

    let (before, body) = json_of(twitch.create_subscription(&token, &request).await).await;
    twitch.user_tokens("pixel_panda", "bits:read user:read:email").await;
    let (other_scope, _) = json_of(twitch.create_subscription(&token, &request).await).await;
    twitch.user_tokens("pixel_panda", "channel:read:subscriptions").await;
    let (after, created) = json_of(twitch.create_subscription(&token, &request).await).await;

    assert_eq!(before, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({"error": "Forbidden", "status": 403, "message": "subscription missing proper authorization"})
    );
    assert_eq!(other_scope, StatusCode::FORBIDDEN);
    assert_eq!(after, StatusCode::ACCEPTED);
    assert_eq!(created["data"][0]["cost"], 0);
}

#[tokio::test]
async fn a_follow_subscription_needs_the_moderator_to_be_the_authorized_broadcaster() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;
    twitch.user_tokens("pixel_panda", "moderator:read:followers").await;
    let panda = user_id_for("pixel_panda");
    let follow = |moderator: &str| {
        subscription_request(
            "channel.follow",
            "2",
            json!({"broadcaster_user_id": panda, "moderator_user_id": moderator}),
            "https://example.com/cb",
        )
    };

    let as_broadcaster = twitch.create_subscription(&token, &follow(&panda)).await.status();
    let as_stranger = twitch.create_subscription(&token, &follow(&user_id_for("sevdemo"))).await.status();

    assert_eq!(as_broadcaster, StatusCode::ACCEPTED);
    assert_eq!(as_stranger, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_broadcaster_who_disconnected_no_longer_authorizes_scoped_types() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;
    twitch.user_tokens("pixel_panda", "bits:read").await;
    twitch.mock.revoke_user_tokens("pixel_panda");

    let request = subscription_request("channel.cheer", "1", broadcaster("pixel_panda"), "https://example.com/cb");
    let status = twitch.create_subscription(&token, &request).await.status();

    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn public_types_cost_1_until_the_broadcaster_authorizes_the_client_and_scoped_types_cost_0() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let cost_of = |response: Value| response["data"][0]["cost"].clone();
    let create = |kind: &str, condition: Value| {
        let request = subscription_request(kind, "1", condition, &receiver.callback("/cb"));
        let twitch = &twitch;
        let token = &token;
        async move { json_of(twitch.create_subscription(token, &request).await).await.1 }
    };

    let online = create("stream.online", broadcaster("sevdemo")).await;
    let revoke = create("user.authorization.revoke", json!({"client_id": CLIENT_ID})).await;
    twitch.user_tokens("sevdemo", "bits:read").await;
    let offline = create("stream.offline", broadcaster("sevdemo")).await;
    let cheer = create("channel.cheer", broadcaster("sevdemo")).await;

    assert_eq!(cost_of(online), 1);
    assert_eq!(cost_of(revoke), 1);
    assert_eq!(cost_of(offline), 0);
    assert_eq!(cost_of(cheer.clone()), 0);
    assert_eq!(cheer["total"], 4);
    assert_eq!(cheer["total_cost"], 2);
}

#[tokio::test]
async fn a_subscription_that_would_exceed_the_max_total_cost_is_refused_with_429() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    twitch.mock.set_max_total_cost(2);
    twitch.user_tokens("sevdemo", "bits:read").await;
    let request =
        |kind: &str, login: &str| subscription_request(kind, "1", broadcaster(login), &receiver.callback("/cb"));

    let first = twitch.create_subscription(&token, &request("stream.online", "pixel_panda")).await.status();
    let second = twitch.create_subscription(&token, &request("stream.offline", "pixel_panda")).await.status();
    let (third, body) = json_of(twitch.create_subscription(&token, &request("stream.online", "retro_rex")).await).await;
    let free = twitch.create_subscription(&token, &request("channel.cheer", "sevdemo")).await.status();

    assert_eq!((first, second), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(third, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body, json!({"error": "Too Many Requests", "status": 429, "message": "maximum total cost exceeded"}));
    assert_eq!(free, StatusCode::ACCEPTED, "a subscription that costs nothing still fits");
}

#[tokio::test]
async fn failed_subscriptions_do_not_count_toward_the_total_cost_but_pending_ones_do() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    twitch.mock.set_max_total_cost(1);
    let request =
        |login: &str| subscription_request("stream.online", "1", broadcaster(login), &receiver.callback("/cb"));
    receiver.answer(Answer::WrongChallenge);
    let failed = twitch.create_subscription(&token, &request("pixel_panda")).await.status();
    twitch.mock.settle().await;
    receiver.answer(Answer::Correct);

    let after_failure = twitch.create_subscription(&token, &request("retro_rex")).await.status();
    let beyond_the_live_one = twitch.create_subscription(&token, &request("lofi_luna")).await.status();

    assert_eq!(failed, StatusCode::ACCEPTED);
    assert_eq!(after_failure, StatusCode::ACCEPTED);
    assert_eq!(beyond_the_live_one, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_rate_limit_fault_makes_every_create_answer_429_until_it_is_lifted() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;
    let request = subscription_request("stream.online", "1", broadcaster("sevdemo"), "https://example.com/cb");

    twitch.mock.set_eventsub_rate_limited(true);
    let (limited, body) = json_of(twitch.create_subscription(&token, &request).await).await;
    twitch.mock.set_eventsub_rate_limited(false);
    let lifted = twitch.create_subscription(&token, &request).await.status();

    assert_eq!(limited, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"], "Too Many Requests");
    assert_eq!(lifted, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn more_than_three_live_subscriptions_with_one_type_and_condition_are_refused() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    for path in ["/a", "/b", "/c"] {
        twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback(path)).await;
    }

    let request = subscription_request("stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/d"));
    let (status, body) = json_of(twitch.create_subscription(&token, &request).await).await;

    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["message"], "maximum subscriptions with type and condition exceeded");
}

#[tokio::test]
async fn a_raid_condition_may_name_either_direction() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let id = user_id_for("sevdemo");

    let into = twitch
        .subscribe(&token, "channel.raid", "1", json!({"to_broadcaster_user_id": id}), &receiver.callback("/cb"))
        .await;
    let out = twitch
        .subscribe(&token, "channel.raid", "1", json!({"from_broadcaster_user_id": id}), &receiver.callback("/cb"))
        .await;

    assert_ne!(into, out, "the two directions are different conditions, so no 409");
}

#[tokio::test]
async fn malformed_or_impossible_requests_are_refused_with_400_and_say_why() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;
    let sevdemo = user_id_for("sevdemo");
    let webhook = |callback: &str, secret: &str| json!({"method": "webhook", "callback": callback, "secret": secret});
    let with = |kind: &str, version: &str, condition: Value, transport: Value| json!({"type": kind, "version": version, "condition": condition, "transport": transport});
    let fine = webhook("https://example.com/cb", SECRET);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("unknown type", with("channel.nope", "1", broadcaster("sevdemo"), fine.clone()), "unsupported"),
        ("unknown version", with("channel.follow", "1", broadcaster("sevdemo"), fine.clone()), "version"),
        (
            "both raid directions",
            with(
                "channel.raid",
                "1",
                json!({"from_broadcaster_user_id": sevdemo, "to_broadcaster_user_id": sevdemo}),
                fine.clone(),
            ),
            "exactly one of",
        ),
        (
            "follow without moderator",
            with("channel.follow", "2", broadcaster("sevdemo"), fine.clone()),
            "moderator_user_id",
        ),
        ("missing condition", json!({"type": "stream.online", "version": "1", "transport": fine.clone()}), "condition"),
        ("empty condition", with("stream.online", "1", json!({}), fine.clone()), "broadcaster_user_id"),
        ("unknown user", with("stream.online", "1", json!({"broadcaster_user_id": "123"}), fine.clone()), "no user"),
        (
            "another client's id",
            with("user.authorization.revoke", "1", json!({"client_id": OTHER_CLIENT_ID}), fine.clone()),
            "client_id",
        ),
        ("websocket", with("stream.online", "1", broadcaster("sevdemo"), json!({"method": "websocket"})), "webhook"),
        (
            "missing callback",
            with("stream.online", "1", broadcaster("sevdemo"), json!({"method": "webhook", "secret": SECRET})),
            "callback",
        ),
        ("relative callback", with("stream.online", "1", broadcaster("sevdemo"), webhook("/cb", SECRET)), "callback"),
        (
            "ftp callback",
            with("stream.online", "1", broadcaster("sevdemo"), webhook("ftp://x.test/cb", SECRET)),
            "callback",
        ),
        (
            "short secret",
            with("stream.online", "1", broadcaster("sevdemo"), webhook("https://x.test", "short")),
            "secret",
        ),
        (
            "long secret",
            with("stream.online", "1", broadcaster("sevdemo"), webhook("https://x.test", &"s".repeat(101))),
            "secret",
        ),
        (
            "missing secret",
            with(
                "stream.online",
                "1",
                broadcaster("sevdemo"),
                json!({"method": "webhook", "callback": "https://x.test"}),
            ),
            "secret",
        ),
        ("not an object", json!(["stream.online"]), "JSON object"),
    ];

    for (case, body, expected) in cases {
        let (status, answer) = json_of(twitch.create_subscription(&token, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {answer}");
        assert_eq!(answer["error"], "Bad Request", "{case}");
        let message = answer["message"].as_str().expect("message");
        assert!(message.contains(expected), "{case}: {message:?} should mention {expected:?}");
    }
    let not_json = twitch
        .http
        .post(twitch.url("/helix/eventsub/subscriptions"))
        .bearer_auth(&token)
        .header("Client-Id", CLIENT_ID)
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert!(twitch.mock.subscriptions().is_empty());
}
