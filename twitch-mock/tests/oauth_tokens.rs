//! The token endpoint, validation and revocation: the wire format sev's client must handle.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.expect("json body"))
}

#[tokio::test]
async fn code_exchange_returns_bearer_tokens_with_scope_as_a_json_array() {
    let twitch = TestTwitch::start().await;
    let code = twitch.sign_in("viewer_one", "user:read:email moderator:read:followers").await;

    let (status, body) = json_of(twitch.exchange_code(&code).await).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scope"], json!(["user:read:email", "moderator:read:followers"]));
    assert_eq!(body["token_type"], "bearer");
    let expires_in = body["expires_in"].as_u64().expect("number");
    assert!((13_000..=16_000).contains(&expires_in));
    let access_token = string_field(&body, "access_token");
    let refresh_token = string_field(&body, "refresh_token");
    assert_eq!(access_token.len(), 30);
    assert_eq!(refresh_token.len(), 30);
    assert_ne!(access_token, refresh_token);
}

#[tokio::test]
async fn a_code_can_be_exchanged_only_once() {
    let twitch = TestTwitch::start().await;
    let code = twitch.sign_in("viewer_one", "").await;
    assert_eq!(twitch.exchange_code(&code).await.status(), StatusCode::OK);

    let (status, body) = json_of(twitch.exchange_code(&code).await).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"status": 400, "message": "Invalid authorization code"}));
}

#[tokio::test]
async fn a_code_exchanged_with_another_redirect_uri_is_refused_and_used_up() {
    let twitch = TestTwitch::start().await;
    let code = twitch.sign_in("viewer_one", "").await;

    let (status, body) = json_of(
        twitch
            .token_request(&[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("code", &code),
                ("grant_type", "authorization_code"),
                ("redirect_uri", REDIRECT_URI_WITH_QUERY),
            ])
            .await,
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "Invalid authorization code");
    assert_eq!(twitch.exchange_code(&code).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_code_exchanged_by_another_client_is_refused() {
    let twitch = TestTwitch::start().await;
    let code = twitch.sign_in("viewer_one", "").await;

    let response = twitch
        .token_request(&[
            ("client_id", OTHER_CLIENT_ID),
            ("client_secret", OTHER_CLIENT_SECRET),
            ("code", &code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT_URI),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes() {
    let twitch = TestTwitch::start().await;
    let code = twitch.sign_in("viewer_one", "").await;

    twitch.mock.advance_clock(Duration::from_secs(601));

    assert_eq!(twitch.exchange_code(&code).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_wrong_client_secret_is_forbidden() {
    let twitch = TestTwitch::start().await;
    let code = twitch.sign_in("viewer_one", "").await;

    let (status, body) = json_of(
        twitch
            .token_request(&[
                ("client_id", CLIENT_ID),
                ("client_secret", "not-the-secret"),
                ("code", &code),
                ("grant_type", "authorization_code"),
                ("redirect_uri", REDIRECT_URI),
            ])
            .await,
    )
    .await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"status": 403, "message": "invalid client secret"}));
}

#[tokio::test]
async fn an_unknown_client_is_rejected() {
    let twitch = TestTwitch::start().await;

    let (status, body) = json_of(
        twitch
            .token_request(&[("client_id", "nobody"), ("client_secret", "x"), ("grant_type", "client_credentials")])
            .await,
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"status": 400, "message": "invalid client"}));
}

#[tokio::test]
async fn credentials_sent_only_with_basic_auth_count_as_no_client() {
    let twitch = TestTwitch::start().await;
    let code = twitch.sign_in("viewer_one", "").await;

    let (status, body) = json_of(
        twitch
            .http
            .post(twitch.url("/oauth2/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[("code", code.as_str()), ("grant_type", "authorization_code"), ("redirect_uri", REDIRECT_URI)])
            .send()
            .await
            .expect("request"),
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "invalid client");
}

#[tokio::test]
async fn token_parameters_may_come_in_the_query_string_as_the_twitch_cli_sends_them() {
    let twitch = TestTwitch::start().await;
    let code = twitch.sign_in("viewer_one", "").await;
    let query = serde_urlencoded::to_string([
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", &code),
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT_URI),
    ])
    .expect("encodable");

    let response = twitch.http.post(twitch.url(&format!("/oauth2/token?{query}"))).send().await.expect("request");

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_missing_grant_type_is_rejected() {
    let twitch = TestTwitch::start().await;

    let response = twitch.token_request(&[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)]).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn refreshing_returns_new_access_and_refresh_tokens_and_retires_the_old_refresh_token() {
    let twitch = TestTwitch::start().await;
    let first = twitch.user_tokens("viewer_one", "user:read:email").await;

    let (status, body) = json_of(twitch.refresh(&first.refresh_token).await).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scope"], json!(["user:read:email"]));
    assert_eq!(body["token_type"], "bearer");
    let new_access = string_field(&body, "access_token");
    let new_refresh = string_field(&body, "refresh_token");
    assert_ne!(new_access, first.access_token);
    assert_ne!(new_refresh, first.refresh_token);
    assert_eq!(twitch.validate(&new_access).await.status(), StatusCode::OK);

    let (status, body) = json_of(twitch.refresh(&first.refresh_token).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"error": "Bad Request", "status": 400, "message": "Invalid refresh token"}));
    assert_eq!(twitch.refresh(&new_refresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_refresh_token_works_after_its_access_token_expired() {
    let twitch = TestTwitch::start().await;
    let tokens = twitch.user_tokens("viewer_one", "").await;

    twitch.mock.advance_clock(Duration::from_secs(5 * 3600));

    assert_eq!(twitch.validate(&tokens.access_token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(twitch.refresh(&tokens.refresh_token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn client_credentials_give_an_app_token_without_refresh_token() {
    let twitch = TestTwitch::start().await;

    let (status, body) = json_of(
        twitch
            .token_request(&[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("grant_type", "client_credentials"),
            ])
            .await,
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "bearer");
    assert!(body["expires_in"].as_u64().expect("number") > 4_000_000);
    assert!(body.get("refresh_token").is_none());
    assert_eq!(string_field(&body, "access_token").len(), 30);
}

#[tokio::test]
async fn validate_describes_a_user_token() {
    let twitch = TestTwitch::start().await;
    let tokens = twitch.user_tokens("Viewer_One", "user:read:email").await;

    let (status, body) = json_of(twitch.validate(&tokens.access_token).await).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["client_id"], CLIENT_ID);
    assert_eq!(body["login"], "viewer_one");
    assert_eq!(body["user_id"], twitch_mock::user_id_for("viewer_one"));
    assert_eq!(body["scopes"], json!(["user:read:email"]));
    assert!(body["expires_in"].as_u64().expect("number") > 13_000);
}

#[tokio::test]
async fn validate_accepts_the_bearer_scheme_too() {
    let twitch = TestTwitch::start().await;
    let tokens = twitch.user_tokens("viewer_one", "").await;

    let response = twitch
        .http
        .get(twitch.url("/oauth2/validate"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn validate_describes_an_app_token_without_login_or_user_id() {
    let twitch = TestTwitch::start().await;
    let app_token = twitch.app_token().await;

    let (status, body) = json_of(twitch.validate(&app_token).await).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["client_id"], CLIENT_ID);
    assert_eq!(body["scopes"], json!([]));
    assert!(body.get("login").is_none());
    assert!(body.get("user_id").is_none());
    assert!(body["expires_in"].as_u64().expect("number") > 4_000_000);
}

#[tokio::test]
async fn validate_rejects_unknown_expired_and_missing_tokens() {
    let twitch = TestTwitch::start().await;
    let tokens = twitch.user_tokens("viewer_one", "").await;
    let invalid = json!({"status": 401, "message": "invalid access token"});

    let (status, body) = json_of(twitch.validate("0123456789abcdefghijklmnopqrst").await).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, invalid.clone()));

    let missing = twitch.http.get(twitch.url("/oauth2/validate")).send().await.expect("request");
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);

    twitch.mock.advance_clock(Duration::from_secs(4 * 3600 + 1800));
    let (status, body) = json_of(twitch.validate(&tokens.access_token).await).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, invalid));
}

#[tokio::test]
async fn a_revoked_token_no_longer_validates_or_refreshes() {
    let twitch = TestTwitch::start().await;
    let tokens = twitch.user_tokens("viewer_one", "").await;

    let response = twitch.revoke(CLIENT_ID, &tokens.access_token).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), "");
    assert!(twitch.mock.was_revoked(&tokens.access_token));
    assert_eq!(twitch.validate(&tokens.access_token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(twitch.refresh(&tokens.refresh_token).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn revoking_for_an_unknown_client_is_not_found() {
    let twitch = TestTwitch::start().await;
    let tokens = twitch.user_tokens("viewer_one", "").await;

    let (status, body) = json_of(twitch.revoke("nobody", &tokens.access_token).await).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"status": 404, "message": "client does not exist"}));
    assert!(!twitch.mock.was_revoked(&tokens.access_token));
}

#[tokio::test]
async fn revoking_an_unknown_token_or_another_clients_token_is_invalid() {
    let twitch = TestTwitch::start().await;
    let tokens = twitch.user_tokens("viewer_one", "").await;
    let invalid = json!({"status": 400, "message": "Invalid token"});

    let (status, body) = json_of(twitch.revoke(CLIENT_ID, "nosuchtoken").await).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, invalid.clone()));

    let (status, body) = json_of(twitch.revoke(OTHER_CLIENT_ID, &tokens.access_token).await).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, invalid));
    assert_eq!(twitch.validate(&tokens.access_token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_user_disconnecting_the_app_invalidates_all_their_tokens() {
    let twitch = TestTwitch::start().await;
    let alice = twitch.user_tokens("alice_a", "").await;
    let bob = twitch.user_tokens("bob_b", "").await;

    twitch.mock.revoke_user_tokens("Alice_A");

    assert_eq!(twitch.validate(&alice.access_token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(twitch.refresh(&alice.refresh_token).await.status(), StatusCode::BAD_REQUEST);
    assert!(!twitch.mock.was_revoked(&alice.access_token));
    assert_eq!(twitch.validate(&bob.access_token).await.status(), StatusCode::OK);

    let again = twitch.user_tokens("alice_a", "").await;
    assert_eq!(twitch.validate(&again.access_token).await.status(), StatusCode::OK);
}
