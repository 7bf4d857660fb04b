//! `GET /helix/users` and the gate every Helix request passes: token, Client-Id, rate limit.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use twitch_mock::{SEEDED_STREAMERS, user_id_for};

#[tokio::test]
async fn users_are_found_by_login_with_their_full_profile() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;

    let response = twitch.helix_users(&token, "login=pixel_panda").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    let user = &body["data"][0];
    assert_eq!(user["id"], user_id_for("pixel_panda"));
    assert_eq!(user["login"], "pixel_panda");
    assert_eq!(user["display_name"], "PixelPanda");
    assert_eq!(user["type"], "");
    assert_eq!(user["broadcaster_type"], "partner");
    assert_eq!(user["profile_image_url"], "http://mock.test/avatars/pixel_panda.svg");
    assert_eq!(user["offline_image_url"], "");
    assert_eq!(user["view_count"], 0);
    assert!(user["created_at"].as_str().expect("string").ends_with('Z'));
    assert!(user.get("email").is_none());
}

#[tokio::test]
async fn users_are_found_by_id_and_login_together() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;
    let query = format!("id={}&login=cozy_cat_tv&login=speedrun_sam", user_id_for("sevdemo"));

    let logins = logins_in(twitch.helix_users(&token, &query).await).await;

    assert_eq!(logins, ["sevdemo", "cozy_cat_tv", "speedrun_sam"]);
}

#[tokio::test]
async fn logins_are_case_insensitive() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;

    let logins = logins_in(twitch.helix_users(&token, "login=SpeedRun_SAM").await).await;

    assert_eq!(logins, ["speedrun_sam"]);
}

#[tokio::test]
async fn unknown_logins_and_ids_are_left_out_not_reported() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;

    let logins = logins_in(twitch.helix_users(&token, "login=nobody_here&id=12345678&login=sevdemo").await).await;
    assert_eq!(logins, ["sevdemo"]);

    let response = twitch.helix_users(&token, "login=nobody_here").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, json!({"data": []}));
}

#[tokio::test]
async fn a_user_who_signed_in_can_be_looked_up_with_the_name_as_typed() {
    let twitch = TestTwitch::start().await;
    twitch.user_tokens("Fresh_Face", "").await;
    let token = twitch.app_token().await;

    let response = twitch.helix_users(&token, "login=fresh_face").await;

    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"][0]["login"], "fresh_face");
    assert_eq!(body["data"][0]["display_name"], "Fresh_Face");
}

#[tokio::test]
async fn no_parameters_with_a_user_token_returns_the_tokens_user() {
    let twitch = TestTwitch::start().await;
    let tokens = twitch.user_tokens("itsme_mario", "").await;

    let logins = logins_in(twitch.helix_users(&tokens.access_token, "").await).await;

    assert_eq!(logins, ["itsme_mario"]);
}

#[tokio::test]
async fn no_parameters_with_an_app_token_is_a_bad_request() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;

    let response = twitch.helix_users(&token, "").await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"error": "Bad Request", "status": 400, "message": "Must provide an ID, Login or OAuth Token"})
    );
}

#[tokio::test]
async fn email_is_shown_only_for_the_tokens_own_user_with_the_email_scope() {
    let twitch = TestTwitch::start().await;
    let with_scope = twitch.user_tokens("mail_reader", "user:read:email").await;
    let without_scope = twitch.user_tokens("no_mail", "").await;

    let body: Value = twitch
        .helix_users(&with_scope.access_token, "login=mail_reader&login=sevdemo")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["data"][0]["email"], "mail_reader@example.com");
    assert!(body["data"][1].get("email").is_none());

    let body: Value = twitch.helix_users(&without_scope.access_token, "").await.json().await.expect("json");
    assert!(body["data"][0].get("email").is_none());
}

#[tokio::test]
async fn more_than_100_ids_and_logins_is_a_bad_request() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;
    let hundred: Vec<String> = (0..100).map(|n| format!("login=user{n:04}")).collect();

    let at_limit = twitch.helix_users(&token, &hundred.join("&")).await;
    assert_eq!(at_limit.status(), StatusCode::OK);

    let over = twitch.helix_users(&token, &format!("{}&id=1", hundred.join("&"))).await;
    assert_eq!(over.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn helix_requires_the_client_id_header_of_the_tokens_client() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;
    let mismatch = json!({"error": "Unauthorized", "status": 401, "message": "Client ID and OAuth token do not match"});

    let missing =
        twitch.http.get(twitch.url("/helix/users?login=sevdemo")).bearer_auth(&token).send().await.expect("request");
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(missing.json::<Value>().await.expect("json"), mismatch);

    let other = twitch
        .http
        .get(twitch.url("/helix/users?login=sevdemo"))
        .bearer_auth(&token)
        .header("Client-Id", OTHER_CLIENT_ID)
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(other.json::<Value>().await.expect("json"), mismatch);
}

#[tokio::test]
async fn helix_rejects_invalid_revoked_and_oauth_scheme_tokens() {
    let twitch = TestTwitch::start().await;
    let invalid = json!({"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"});

    let response = twitch.helix_users("notarealtoken", "login=sevdemo").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.json::<Value>().await.expect("json"), invalid);

    let tokens = twitch.user_tokens("viewer_one", "").await;
    let oauth_scheme = twitch
        .http
        .get(twitch.url("/helix/users"))
        .header("Authorization", format!("OAuth {}", tokens.access_token))
        .header("Client-Id", CLIENT_ID)
        .send()
        .await
        .expect("request");
    assert_eq!(oauth_scheme.status(), StatusCode::UNAUTHORIZED);

    twitch.revoke(CLIENT_ID, &tokens.access_token).await;
    let revoked = twitch.helix_users(&tokens.access_token, "").await;
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_helix_response_reports_the_rate_limit_bucket() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;

    let first = twitch.helix_users(&token, "login=sevdemo").await;
    let second = twitch.helix_users(&token, "login=sevdemo").await;
    let unauthorized = twitch.helix_users("bogus", "login=sevdemo").await;

    let header = |response: &reqwest::Response, name: &str| -> u64 {
        response.headers()[name].to_str().expect("ascii").parse().expect("number")
    };
    assert_eq!(header(&first, "ratelimit-limit"), 800);
    assert_eq!(header(&first, "ratelimit-remaining"), 799);
    assert_eq!(header(&second, "ratelimit-remaining"), 798);
    assert!(header(&second, "ratelimit-reset") > 1_700_000_000);
    assert_eq!(header(&unauthorized, "ratelimit-limit"), 800);
}

#[tokio::test]
async fn every_seeded_streamer_exists() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;
    let query: Vec<String> = SEEDED_STREAMERS.iter().map(|login| format!("login={login}")).collect();

    let logins = logins_in(twitch.helix_users(&token, &query.join("&")).await).await;

    assert_eq!(logins, SEEDED_STREAMERS);
}

#[tokio::test]
async fn an_empty_rate_limit_bucket_answers_429_with_the_reset_time() {
    let twitch = TestTwitch::start().await;
    let token = twitch.app_token().await;
    // The bucket refills while the loop runs, so a few more than 800 may get through.
    let mut admitted = 0;
    let refused = loop {
        let response = twitch.helix_users(&token, "login=sevdemo").await;
        if response.status() != StatusCode::OK || admitted > 1_000 {
            break response;
        }
        admitted += 1;
    };

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(admitted >= 800, "only {admitted} requests admitted");
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    assert!(refused.headers().contains_key("ratelimit-reset"));
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"], "Too Many Requests");
    assert_eq!(body["status"], 429);

    twitch.mock.advance_clock(std::time::Duration::from_secs(60));
    let refilled = twitch.helix_users(&token, "login=sevdemo").await;
    assert_eq!(refilled.status(), StatusCode::OK);
}
