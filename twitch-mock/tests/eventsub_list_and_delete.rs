//! Listing EventSub subscriptions (pages, filters, totals) and deleting them.

mod common;

use common::eventsub::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use twitch_mock::SEEDED_STREAMERS;

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.expect("json body"))
}

fn ids_in(body: &Value) -> Vec<String> {
    body["data"].as_array().expect("data").iter().map(|s| s["id"].as_str().expect("id").to_owned()).collect()
}

#[tokio::test]
async fn listing_pages_through_every_subscription_oldest_first() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    twitch.mock.set_subscription_page_size(2);
    let mut created = Vec::new();
    for login in &SEEDED_STREAMERS[..5] {
        created
            .push(twitch.subscribe(&token, "stream.online", "1", broadcaster(login), &receiver.callback("/cb")).await);
    }

    let mut listed = Vec::new();
    let mut query = String::new();
    let mut pages = 0;
    loop {
        let (status, body) = json_of(twitch.list_subscriptions(&token, &query).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"], 5);
        assert_eq!(body["total_cost"], 5);
        assert_eq!(body["max_total_cost"], 10_000);
        pages += 1;
        listed.extend(ids_in(&body));
        match body["pagination"]["cursor"].as_str() {
            Some(cursor) => query = format!("after={cursor}"),
            None => {
                assert_eq!(body["pagination"], json!({}), "the last page has no cursor");
                break;
            }
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(listed, created);
}

#[tokio::test]
async fn deleting_between_pages_neither_skips_nor_repeats_a_subscription() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    twitch.mock.set_subscription_page_size(2);
    let mut created = Vec::new();
    for login in &SEEDED_STREAMERS[..4] {
        created
            .push(twitch.subscribe(&token, "stream.online", "1", broadcaster(login), &receiver.callback("/cb")).await);
    }

    let (_, first) = json_of(twitch.list_subscriptions(&token, "").await).await;
    twitch.delete_subscription(&token, &format!("id={}", created[0])).await;
    let cursor = first["pagination"]["cursor"].as_str().expect("cursor");
    let (_, second) = json_of(twitch.list_subscriptions(&token, &format!("after={cursor}")).await).await;

    assert_eq!(ids_in(&first), created[..2]);
    assert_eq!(ids_in(&second), created[2..]);
}

#[tokio::test]
async fn filters_select_by_status_type_user_or_id() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let online = twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/a")).await;
    let raid = twitch
        .subscribe(
            &token,
            "channel.raid",
            "1",
            json!({"to_broadcaster_user_id": twitch_mock::user_id_for("pixel_panda")}),
            &receiver.callback("/a"),
        )
        .await;
    twitch.mock.settle().await;
    receiver.answer(Answer::WrongChallenge);
    let failed =
        twitch.subscribe(&token, "stream.offline", "1", broadcaster("sevdemo"), &receiver.callback("/b")).await;
    twitch.mock.settle().await;

    let list = |query: String| {
        let twitch = &twitch;
        let token = &token;
        async move { ids_in(&json_of(twitch.list_subscriptions(token, &query).await).await.1) }
    };
    assert_eq!(list("status=enabled".into()).await, [online.clone(), raid.clone()]);
    assert_eq!(list("status=webhook_callback_verification_failed".into()).await, std::slice::from_ref(&failed));
    assert_eq!(list("type=channel.raid".into()).await, std::slice::from_ref(&raid));
    assert_eq!(list(format!("user_id={}", twitch_mock::user_id_for("sevdemo"))).await, [online.clone(), failed]);
    assert_eq!(list(format!("user_id={}", twitch_mock::user_id_for("pixel_panda"))).await, [raid]);
    assert_eq!(list(format!("subscription_id={online}")).await, [online]);
    assert!(list("status=authorization_revoked".into()).await.is_empty());
}

#[tokio::test]
async fn more_than_one_filter_a_bad_status_type_or_cursor_is_refused() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;

    for query in [
        "status=enabled&type=stream.online",
        "user_id=1&subscription_id=2",
        "status=sleeping",
        "type=channel.nope",
        "after=zzz",
    ] {
        let (status, body) = json_of(twitch.list_subscriptions(&token, query).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"], "Bad Request");
    }
}

#[tokio::test]
async fn totals_count_only_enabled_and_pending_subscriptions_but_the_list_shows_all() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/a")).await;
    twitch.mock.settle().await;
    receiver.answer(Answer::WrongChallenge);
    twitch.subscribe(&token, "stream.offline", "1", broadcaster("sevdemo"), &receiver.callback("/b")).await;
    twitch.mock.settle().await;

    let (_, body) = json_of(twitch.list_subscriptions(&token, "").await).await;

    assert_eq!(body["data"].as_array().expect("data").len(), 2);
    assert_eq!(body["total"], 1);
    assert_eq!(body["total_cost"], 1);
}

#[tokio::test]
async fn each_client_sees_and_deletes_only_its_own_subscriptions() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let mine = twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/cb")).await;
    let other_token = other_app_token(&twitch).await;

    let other_list = twitch
        .http
        .get(twitch.url("/helix/eventsub/subscriptions"))
        .bearer_auth(&other_token)
        .header("Client-Id", OTHER_CLIENT_ID)
        .send()
        .await
        .expect("request");
    let other_delete = twitch
        .http
        .delete(twitch.url(&format!("/helix/eventsub/subscriptions?id={mine}")))
        .bearer_auth(&other_token)
        .header("Client-Id", OTHER_CLIENT_ID)
        .send()
        .await
        .expect("request");

    let (_, other_body) = json_of(other_list).await;
    assert_eq!(other_body["total"], 0);
    assert!(ids_in(&other_body).is_empty());
    assert_eq!(other_delete.status(), StatusCode::NOT_FOUND);
    twitch.mock.settle().await;
    assert_eq!(twitch.status_of(&mine), "enabled");
}

#[tokio::test]
async fn deleting_answers_204_then_404_and_needs_an_id() {
    let twitch = TestTwitch::start().await;
    let receiver = Receiver::start().await;
    let token = twitch.app_token().await;
    let id = twitch.subscribe(&token, "stream.online", "1", broadcaster("sevdemo"), &receiver.callback("/cb")).await;

    let deleted = twitch.delete_subscription(&token, &format!("id={id}")).await;
    let (again, again_body) = json_of(twitch.delete_subscription(&token, &format!("id={id}")).await).await;
    let (missing, _) = json_of(twitch.delete_subscription(&token, "").await).await;

    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(deleted.bytes().await.expect("body").is_empty());
    assert_eq!(again, StatusCode::NOT_FOUND);
    assert_eq!(again_body["error"], "Not Found");
    assert_eq!(missing, StatusCode::BAD_REQUEST);
    assert!(twitch.mock.subscriptions().is_empty());
    let (_, listed) = json_of(twitch.list_subscriptions(&token, "").await).await;
    assert_eq!(listed["total_cost"], 0);
}

async fn other_app_token(twitch: &TestTwitch) -> String {
    let response = twitch
        .token_request(&[
            ("client_id", OTHER_CLIENT_ID),
            ("client_secret", OTHER_CLIENT_SECRET),
            ("grant_type", "client_credentials"),
        ])
        .await;
    let body: Value = response.json().await.expect("json");
    string_field(&body, "access_token")
}
