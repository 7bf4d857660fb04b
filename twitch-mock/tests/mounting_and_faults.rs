//! How the mock is mounted (nested under a prefix in demo mode), its avatars, and the faults
//! tests inject into it.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use common::*;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

#[tokio::test]
async fn a_mock_that_is_down_answers_every_request_with_503_until_it_is_back() {
    let twitch = TestTwitch::start().await;
    twitch.mock.set_down(true);

    for response in [
        twitch.validate("anything").await,
        twitch.helix_users("anything", "login=sevdemo").await,
        twitch.token_request(&[("grant_type", "client_credentials")]).await,
    ] {
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"], "Service Unavailable");
        assert_eq!(body["status"], 503);
        assert!(body["message"].is_string());
    }

    twitch.mock.set_down(false);
    twitch.app_token().await;
}

#[tokio::test]
async fn an_injected_delay_slows_every_response() {
    let twitch = TestTwitch::start().await;
    twitch.mock.set_delay(Some(Duration::from_millis(60)));

    let started = Instant::now();
    let response = twitch.validate("anything").await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(started.elapsed() >= Duration::from_millis(60));

    twitch.mock.set_delay(None);
}

#[tokio::test]
async fn requests_are_counted_per_path_even_while_down() {
    let twitch = TestTwitch::start().await;
    assert_eq!(twitch.mock.request_count("/oauth2/token"), 0);

    twitch.app_token().await;
    twitch.app_token().await;
    twitch.mock.set_down(true);
    twitch.token_request(&[("grant_type", "client_credentials")]).await;

    assert_eq!(twitch.mock.request_count("/oauth2/token"), 3);
    assert_eq!(twitch.mock.request_count("/oauth2/validate"), 0);
}

#[tokio::test]
async fn avatars_are_svg_images_derived_from_the_login() {
    let twitch = TestTwitch::start().await;

    let response = twitch.http.get(twitch.url("/avatars/pixel_panda.svg")).send().await.expect("request");

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/svg+xml");
    assert!(response.headers().contains_key(header::CACHE_CONTROL));
    let svg = response.text().await.expect("body");
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains(">P</text>"));

    for bad in ["/avatars/pixel_panda.png", "/avatars/%3Cb%3E.svg"] {
        let response = twitch.http.get(twitch.url(bad)).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}

/// Demo mode nests the mock under a prefix of sev's own router; routes, relative links and
/// request counting must all still work there.
#[tokio::test]
async fn the_mock_works_nested_under_a_path_prefix() {
    let mock = twitch_mock::MockTwitch::new(twitch_mock::MockConfig {
        clients: vec![twitch_mock::MockClient {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_uris: vec![REDIRECT_URI.into()],
        }],
        public_base: "http://127.0.0.1:3000/mock-twitch".into(),
        callbacks_under: None,
    });
    let app = Router::new().nest("/mock-twitch", mock.router());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let base = format!("http://{addr}/mock-twitch");
    let http = client();

    let page_url = format!(
        "{base}/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&scope=&state=s",
        url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>()
    );
    let page = http.get(&page_url).send().await.expect("request");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("body");
    let action = html.split("action=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("form action");
    let form_url = url::Url::parse(&page_url).expect("url").join(action).expect("relative action");
    assert_eq!(form_url.path(), "/mock-twitch/oauth2/authorize");

    let redirect = http
        .post(form_url)
        .form(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", ""),
            ("state", "s"),
            ("login", "demo_viewer"),
            ("decision", "authorize"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(redirect.status(), StatusCode::FOUND);
    let code = redirect_query(&redirect)["code"].clone();

    let tokens: Value = http
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", &code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let access_token = string_field(&tokens, "access_token");

    let me: Value = http
        .get(format!("{base}/helix/users"))
        .bearer_auth(&access_token)
        .header("Client-Id", CLIENT_ID)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(me["data"][0]["login"], "demo_viewer");
    assert_eq!(me["data"][0]["profile_image_url"], json!("http://127.0.0.1:3000/mock-twitch/avatars/demo_viewer.svg"));
    let avatar = http.get(format!("{base}/avatars/demo_viewer.svg")).send().await.expect("request");
    assert_eq!(avatar.status(), StatusCode::OK);

    assert_eq!(mock.request_count("/oauth2/token"), 1);
    assert_eq!(mock.request_count("/oauth2/authorize"), 2);
    assert_eq!(mock.request_count("/helix/users"), 1);
}
