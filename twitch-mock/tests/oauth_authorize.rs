//! The authorize page: what it shows, what it refuses, and where it sends the user.

mod common;

use common::*;
use reqwest::{StatusCode, header};

fn authorize_query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("encodable")
}

async fn get_authorize(twitch: &TestTwitch, pairs: &[(&str, &str)]) -> reqwest::Response {
    twitch.http.get(twitch.url(&format!("/oauth2/authorize?{}", authorize_query(pairs)))).send().await.expect("request")
}

#[tokio::test]
async fn consent_page_shows_scopes_and_a_login_form_with_the_request_as_hidden_fields() {
    let twitch = TestTwitch::start().await;
    let response = get_authorize(
        &twitch,
        &[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "user:read:email moderator:read:followers"),
            ("state", "st4te"),
            ("force_verify", "true"),
        ],
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    assert!(csp.starts_with("default-src 'none'") && !csp.contains("script-src"), "no script may run: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = response.text().await.expect("body");
    assert!(html.contains("<title>Sign in to Twitch (mock)</title>"));
    assert!(html.contains("<code>user:read:email</code>"));
    assert!(html.contains("<code>moderator:read:followers</code>"));
    assert!(html.contains(r#"<form method="post" action="authorize">"#));
    assert!(html.contains(r#"<label for="login">Twitch login</label>"#));
    assert!(html.contains(r#"id="login" name="login""#));
    assert!(html.contains(" autofocus required"));
    assert!(html.contains(r#"name="decision" value="authorize""#));
    assert!(html.contains(r#"name="decision" value="deny""#));
    for (name, value) in [
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("state", "st4te"),
        ("force_verify", "true"),
        ("response_type", "code"),
    ] {
        let field = format!(r#"<input type="hidden" name="{name}" value="{value}">"#);
        assert!(html.contains(&field), "missing {field}");
    }
}

#[tokio::test]
async fn consent_page_escapes_values_taken_from_the_url() {
    let twitch = TestTwitch::start().await;
    let html = get_authorize(
        &twitch,
        &[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "<img src=x onerror=alert(1)>"),
            ("state", "\"><script>alert('state')</script>"),
        ],
    )
    .await
    .text()
    .await
    .expect("body");

    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("&quot;&gt;&lt;script&gt;alert(&#39;state&#39;)&lt;/script&gt;"));
}

#[tokio::test]
async fn unknown_client_gets_an_error_page_instead_of_a_redirect() {
    let twitch = TestTwitch::start().await;
    let response =
        get_authorize(&twitch, &[("response_type", "code"), ("client_id", "nobody"), ("redirect_uri", REDIRECT_URI)])
            .await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(header::LOCATION).is_none());
    assert!(response.text().await.expect("body").contains("<html"));
}

#[tokio::test]
async fn unregistered_redirect_uri_gets_a_redirect_mismatch_page_instead_of_a_redirect() {
    let twitch = TestTwitch::start().await;
    for redirect_uri in
        ["http://127.0.0.1:9/auth/twitch/callback/", "http://localhost:9/auth/twitch/callback", OTHER_REDIRECT_URI]
    {
        let response = get_authorize(
            &twitch,
            &[("response_type", "code"), ("client_id", CLIENT_ID), ("redirect_uri", redirect_uri), ("state", "s")],
        )
        .await;

        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{redirect_uri}");
        assert!(response.headers().get(header::LOCATION).is_none());
        let html = response.text().await.expect("body");
        assert!(html.contains("redirect_mismatch"));
        assert!(html.contains("Parameter redirect_uri does not match registered URI"));
    }
}

#[tokio::test]
async fn a_response_type_other_than_code_is_sent_back_as_unsupported_response_type() {
    let twitch = TestTwitch::start().await;
    let response = get_authorize(
        &twitch,
        &[("response_type", "token"), ("client_id", CLIENT_ID), ("redirect_uri", REDIRECT_URI), ("state", "s1")],
    )
    .await;

    assert_eq!(response.status(), StatusCode::FOUND);
    let query = redirect_query(&response);
    assert_eq!(query["error"], "unsupported_response_type");
    assert_eq!(query["state"], "s1");
}

#[tokio::test]
async fn cancel_redirects_back_with_access_denied_and_the_state() {
    let twitch = TestTwitch::start().await;
    let response = twitch
        .submit_consent(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "user:read:email"),
            ("state", "keep me"),
            ("login", ""),
            ("decision", "deny"),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[header::LOCATION].to_str().expect("ascii");
    assert_eq!(
        location,
        "http://127.0.0.1:9/auth/twitch/callback?error=access_denied&error_description=The+user+denied+you+access&state=keep+me"
    );
}

#[tokio::test]
async fn authorize_redirects_back_with_a_code_the_requested_scopes_and_the_state() {
    let twitch = TestTwitch::start().await;
    let response = twitch
        .submit_consent(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "user:read:email moderator:read:followers"),
            ("state", "a&b=c"),
            ("login", "NewStreamer"),
            ("decision", "authorize"),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::FOUND);
    let location = location(&response);
    assert_eq!(location.as_str().split('?').next(), Some(REDIRECT_URI), "redirects to the registered URI");
    let query = redirect_query(&response);
    let code = &query["code"];
    assert_eq!(code.len(), 30);
    assert!(code.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit()));
    assert_eq!(query["scope"], "user:read:email moderator:read:followers");
    assert_eq!(query["state"], "a&b=c");
    assert!(location.query().expect("query").contains("scope=user%3Aread%3Aemail+moderator%3Aread%3Afollowers"));
}

#[tokio::test]
async fn a_redirect_uri_with_its_own_query_keeps_it_and_gains_the_code() {
    let twitch = TestTwitch::start().await;
    let response = twitch
        .submit_consent(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI_WITH_QUERY),
            ("scope", ""),
            ("state", "s"),
            ("login", "someone"),
            ("decision", "authorize"),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::FOUND);
    let query = redirect_query(&response);
    assert_eq!(query["from"], "mock");
    assert!(query.contains_key("code"));
    assert_eq!(query["state"], "s");
}

#[tokio::test]
async fn an_invalid_login_shows_the_page_again_with_an_error() {
    let twitch = TestTwitch::start().await;
    for login in ["abc", "has space", "", "<script>x</script>", &"a".repeat(26)] {
        let response = twitch
            .submit_consent(&[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", REDIRECT_URI),
                ("state", "s"),
                ("login", login),
                ("decision", "authorize"),
            ])
            .await;

        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{login:?}");
        let html = response.text().await.expect("body");
        assert!(html.contains("role=\"alert\""), "{login:?}");
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(!html.contains("<script>x"));
    }
}

#[tokio::test]
async fn the_form_submission_rechecks_the_redirect_uri() {
    let twitch = TestTwitch::start().await;
    let response = twitch
        .submit_consent(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", "http://evil.test/steal"),
            ("login", "victim"),
            ("decision", "authorize"),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(header::LOCATION).is_none());
    assert!(!twitch.mock.user_exists("victim"));
}

#[tokio::test]
async fn signing_in_makes_the_login_a_known_user_in_lower_case() {
    let twitch = TestTwitch::start().await;
    assert!(twitch.mock.user_exists("sevdemo"));
    assert!(!twitch.mock.user_exists("brand_new"));

    twitch.sign_in("Brand_New", "").await;

    assert!(twitch.mock.user_exists("brand_new"));
    assert!(twitch.mock.user_exists("BRAND_NEW"));
}
