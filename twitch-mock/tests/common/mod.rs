//! A mock Twitch served on a real listener, and the steps of the OAuth dance as one-liners, so
//! each test reads like the behaviour it checks.

#![allow(dead_code)] // Each test binary uses a different part of this module.

pub mod eventsub;

use std::collections::HashMap;
use std::net::SocketAddr;

use reqwest::{Client, Response, StatusCode, header};
use serde_json::Value;
use twitch_mock::{MockClient, MockConfig, MockTwitch};
use url::Url;

pub const CLIENT_ID: &str = "sevtestclient";
pub const CLIENT_SECRET: &str = "sevtestsecret";
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/twitch/callback";
/// A registered redirect URI that already carries a query string.
pub const REDIRECT_URI_WITH_QUERY: &str = "http://127.0.0.1:9/callback?from=mock";

pub const OTHER_CLIENT_ID: &str = "otherclient";
pub const OTHER_CLIENT_SECRET: &str = "othersecret";
pub const OTHER_REDIRECT_URI: &str = "http://127.0.0.1:9/other/callback";

pub struct TestTwitch {
    pub mock: MockTwitch,
    pub base: String,
    /// Does not follow redirects, so tests can read `Location`.
    pub http: Client,
}

/// The tokens a successful code exchange returns.
pub struct UserTokens {
    pub access_token: String,
    pub refresh_token: String,
}

impl TestTwitch {
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// A mock that accepts EventSub callbacks only under `callbacks_under`.
    pub async fn start_with(callbacks_under: Option<String>) -> Self {
        let mock = MockTwitch::new(MockConfig {
            clients: vec![
                MockClient {
                    client_id: CLIENT_ID.into(),
                    client_secret: CLIENT_SECRET.into(),
                    redirect_uris: vec![REDIRECT_URI.into(), REDIRECT_URI_WITH_QUERY.into()],
                },
                MockClient {
                    client_id: OTHER_CLIENT_ID.into(),
                    client_secret: OTHER_CLIENT_SECRET.into(),
                    redirect_uris: vec![OTHER_REDIRECT_URI.into()],
                },
            ],
            public_base: "http://mock.test".into(),
            callbacks_under,
        });
        let addr = mock.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("mock serves");
        Self { mock, base: format!("http://{addr}"), http: client() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Submits the consent form as the user would, and returns the redirect's location.
    pub async fn submit_consent(&self, fields: &[(&str, &str)]) -> Response {
        self.http.post(self.url("/oauth2/authorize")).form(fields).send().await.expect("request")
    }

    /// Signs `login` in through the consent form and returns the authorization code.
    pub async fn sign_in(&self, login: &str, scope: &str) -> String {
        let response = self
            .submit_consent(&[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", REDIRECT_URI),
                ("scope", scope),
                ("state", "xyz"),
                ("login", login),
                ("decision", "authorize"),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let query = redirect_query(&response);
        query.get("code").expect("code in redirect").clone()
    }

    /// POSTs form parameters to `/oauth2/token`.
    pub async fn token_request(&self, params: &[(&str, &str)]) -> Response {
        self.http.post(self.url("/oauth2/token")).form(params).send().await.expect("request")
    }

    pub async fn exchange_code(&self, code: &str) -> Response {
        self.token_request(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT_URI),
        ])
        .await
    }

    /// Signs `login` in and exchanges the code: the whole authorization code flow.
    pub async fn user_tokens(&self, login: &str, scope: &str) -> UserTokens {
        let code = self.sign_in(login, scope).await;
        let response = self.exchange_code(&code).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        UserTokens {
            access_token: string_field(&body, "access_token"),
            refresh_token: string_field(&body, "refresh_token"),
        }
    }

    pub async fn app_token(&self) -> String {
        let response = self
            .token_request(&[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("grant_type", "client_credentials"),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        string_field(&body, "access_token")
    }

    pub async fn validate(&self, access_token: &str) -> Response {
        self.http
            .get(self.url("/oauth2/validate"))
            .header(header::AUTHORIZATION, format!("OAuth {access_token}"))
            .send()
            .await
            .expect("request")
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.token_request(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    pub async fn revoke(&self, client_id: &str, token: &str) -> Response {
        self.http
            .post(self.url("/oauth2/revoke"))
            .form(&[("client_id", client_id), ("token", token)])
            .send()
            .await
            .expect("request")
    }

    /// `GET /helix/users?{query}` the way a well-behaved client calls it.
    pub async fn helix_users(&self, access_token: &str, query: &str) -> Response {
        self.http
            .get(self.url(&format!("/helix/users?{query}")))
            .bearer_auth(access_token)
            .header("Client-Id", CLIENT_ID)
            .send()
            .await
            .expect("request")
    }
}

pub fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("http client")
}

/// The query parameters of a redirect's `Location`.
pub fn redirect_query(response: &Response) -> HashMap<String, String> {
    location(response).query_pairs().into_owned().collect()
}

pub fn location(response: &Response) -> Url {
    let location = response.headers().get(header::LOCATION).expect("Location header").to_str().expect("ASCII location");
    Url::parse(location).expect("absolute location")
}

pub fn string_field(body: &Value, name: &str) -> String {
    body[name].as_str().unwrap_or_else(|| panic!("{name} missing from {body}")).to_owned()
}

/// The `login`s in a Helix users response, in order.
pub async fn logins_in(response: Response) -> Vec<String> {
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    body["data"].as_array().expect("data array").iter().map(|user| string_field(user, "login")).collect()
}
