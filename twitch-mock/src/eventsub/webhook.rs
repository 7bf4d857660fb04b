//! Posting signed messages to subscribers' callbacks, as Twitch's webhook transport does: a JSON body, the full
//! `Twitch-Eventsub-*` header set, a signature over the exact bytes sent, no redirects followed, and a bounded
//! wait for the answer.
//!
//! The challenge that follows a create runs in its own task, counted in [`crate::state::Shared::verifications`]
//! so [`crate::MockTwitch::settle`] can wait for every challenge to be answered.

use std::time::Duration;

use axum::body::Bytes;
use twitch::eventsub::message::MESSAGE_RETRY;

use crate::MockTwitch;
use crate::payloads::{now_timestamp, signed_headers};

/// How long a callback has to answer. Twitch documents no figure; the Twitch CLI waits 10 s.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client for callbacks.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(ANSWER_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        // Fails only if the TLS backend cannot initialise, which no request can cause.
        .expect("the webhook HTTP client builds")
}

/// One message on its way to a callback.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) callback: String,
    pub(crate) secret: String,
    pub(crate) message_id: String,
    pub(crate) message_type: &'static str,
    pub(crate) subscription_type: &'static str,
    pub(crate) version: &'static str,
    pub(crate) body: Vec<u8>,
    /// The `Message-Retry` header: 0 on the first delivery.
    pub(crate) retry: u32,
}

/// What the callback answered.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

/// Signs the message with a fresh timestamp and posts it. `Err` describes a callback that could not be reached
/// or did not answer in time.
pub(crate) async fn post(client: &reqwest::Client, message: &Outgoing) -> Result<Answer, String> {
    let timestamp = now_timestamp();
    let headers = signed_headers(
        &message.secret,
        &message.message_id,
        &timestamp,
        message.message_type,
        message.subscription_type,
        message.version,
        &message.body,
    );
    let mut request = client.post(&message.callback).body(message.body.clone());
    for (name, value) in headers {
        let value = if name == MESSAGE_RETRY { message.retry.to_string() } else { value };
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(|error| format!("POST {} failed: {error}", message.callback))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|error| format!("reading the answer of {} failed: {error}", message.callback))?;
    Ok(Answer { status, body })
}

/// Sends the challenge in a background task and records the outcome: the subscription is enabled if the
/// callback answered 2xx with exactly the challenge as its body, and failed otherwise.
pub(crate) fn start_verification(mock: &MockTwitch, subscription_id: String, challenge: String, message: Outgoing) {
    let in_flight = VerificationInFlight::start(mock.clone());
    tokio::spawn(async move {
        let answer = post(&in_flight.mock.shared().webhooks, &message).await;
        let verified = match &answer {
            Ok(answer) => (200..300).contains(&answer.status) && answer.body == challenge.as_bytes(),
            Err(error) => {
                tracing::debug!(%error, "EventSub challenge not delivered");
                false
            }
        };
        in_flight.mock.shared().lock().eventsub.finish_verification(&subscription_id, verified);
    });
}

/// Counts a challenge as in flight from before the create is answered until its outcome is recorded, even if
/// the task is cancelled on the way.
struct VerificationInFlight {
    mock: MockTwitch,
}

impl VerificationInFlight {
    fn start(mock: MockTwitch) -> Self {
        mock.shared().verifications.send_modify(|count| *count += 1);
        Self { mock }
    }
}

impl Drop for VerificationInFlight {
    fn drop(&mut self) {
        self.mock.shared().verifications.send_modify(|count| *count = count.saturating_sub(1));
    }
}
