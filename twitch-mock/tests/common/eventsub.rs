//! An EventSub webhook receiver on its own loopback port, standing in for sev's callback: it records every
//! message it gets and answers challenges the way a test chooses. Plus the subscriptions API as one-liners.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response as AxumResponse};
use reqwest::Response;
use serde_json::{Value, json};
use twitch::eventsub::message::{MESSAGE_ID, MESSAGE_SIGNATURE, MESSAGE_TIMESTAMP, MESSAGE_TYPE};
use twitch::eventsub::signature::verify;

use super::{CLIENT_ID, TestTwitch};

/// The secret every test subscription is created with.
pub const SECRET: &str = "s3cr3t-for-the-tests";

/// How the receiver answers challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 200, `text/plain`, the challenge as the whole body.
    Correct,
    /// 200 with another body.
    WrongChallenge,
    /// 500 to everything.
    ServerError,
}

/// One message as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
    }

    pub fn message_type(&self) -> &str {
        self.header(MESSAGE_TYPE)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    /// Whether the signature header verifies over the id, timestamp and raw body with `secret`.
    pub fn signature_verifies(&self, secret: &str) -> bool {
        verify(
            secret,
            self.header(MESSAGE_ID),
            self.header(MESSAGE_TIMESTAMP),
            &self.body,
            self.header(MESSAGE_SIGNATURE),
        )
    }
}

#[derive(Clone)]
struct ReceiverState {
    received: Arc<Mutex<Vec<Received>>>,
    answer: Arc<Mutex<Answer>>,
}

pub struct Receiver {
    pub base: String,
    state: ReceiverState,
}

impl Receiver {
    /// Serves on 127.0.0.1 on a free port; any path is a callback.
    pub async fn start() -> Self {
        let state = ReceiverState { received: Arc::default(), answer: Arc::new(Mutex::new(Answer::Correct)) };
        let router = Router::new().fallback(receive).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, router).await.expect("receiver serves") });
        Self { base: format!("http://{addr}"), state }
    }

    pub fn callback(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn answer(&self, answer: Answer) {
        *self.state.answer.lock().expect("lock") = answer;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("lock").clone()
    }

    pub fn of_type(&self, message_type: &str) -> Vec<Received> {
        self.received().into_iter().filter(|message| message.message_type() == message_type).collect()
    }
}

async fn receive(State(state): State<ReceiverState>, uri: Uri, headers: HeaderMap, body: Bytes) -> AxumResponse {
    let message = Received { path: uri.path().to_owned(), headers, body };
    let answer = *state.answer.lock().expect("lock");
    let challenge = (message.message_type() == "webhook_callback_verification")
        .then(|| message.json()["challenge"].as_str().unwrap_or_default().to_owned());
    state.received.lock().expect("lock").push(message);
    match (answer, challenge) {
        (Answer::ServerError, _) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        (Answer::Correct, Some(challenge)) => {
            (StatusCode::OK, [("content-type", "text/plain")], challenge).into_response()
        }
        (Answer::WrongChallenge, Some(challenge)) => {
            (StatusCode::OK, [("content-type", "text/plain")], format!("{challenge}-not")).into_response()
        }
        (_, None) => StatusCode::NO_CONTENT.into_response(),
    }
}

/// A create request body with the test secret.
pub fn subscription_request(kind: &str, version: &str, condition: Value, callback: &str) -> Value {
    json!({
        "type": kind,
        "version": version,
        "condition": condition,
        "transport": { "method": "webhook", "callback": callback, "secret": SECRET },
    })
}

pub fn broadcaster(login: &str) -> Value {
    json!({ "broadcaster_user_id": twitch_mock::user_id_for(login) })
}

impl TestTwitch {
    pub async fn create_subscription(&self, token: &str, body: &Value) -> Response {
        self.http
            .post(self.url("/helix/eventsub/subscriptions"))
            .bearer_auth(token)
            .header("Client-Id", CLIENT_ID)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Creates a subscription that must be accepted, and returns its id.
    pub async fn subscribe(&self, token: &str, kind: &str, version: &str, condition: Value, callback: &str) -> String {
        let response = self.create_subscription(token, &subscription_request(kind, version, condition, callback)).await;
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{body}");
        body["data"][0]["id"].as_str().expect("id").to_owned()
    }

    pub async fn list_subscriptions(&self, token: &str, query: &str) -> Response {
        self.http
            .get(self.url(&format!("/helix/eventsub/subscriptions?{query}")))
            .bearer_auth(token)
            .header("Client-Id", CLIENT_ID)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete_subscription(&self, token: &str, query: &str) -> Response {
        self.http
            .delete(self.url(&format!("/helix/eventsub/subscriptions?{query}")))
            .bearer_auth(token)
            .header("Client-Id", CLIENT_ID)
            .send()
            .await
            .expect("request")
    }

    /// The status of a subscription as the mock holds it.
    pub fn status_of(&self, subscription_id: &str) -> String {
        self.mock
            .subscriptions()
            .into_iter()
            .find(|subscription| subscription.id == subscription_id)
            .map(|subscription| subscription.status)
            .unwrap_or_default()
    }
}
