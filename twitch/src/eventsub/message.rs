//! What Twitch posts to the callback: headers (looked up without regard to case, as `http::HeaderMap` does) and
//! a JSON envelope.

use http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const MESSAGE_ID: &str = "twitch-eventsub-message-id";
pub const MESSAGE_RETRY: &str = "twitch-eventsub-message-retry";
pub const MESSAGE_TYPE: &str = "twitch-eventsub-message-type";
pub const MESSAGE_SIGNATURE: &str = "twitch-eventsub-message-signature";
pub const MESSAGE_TIMESTAMP: &str = "twitch-eventsub-message-timestamp";
pub const SUBSCRIPTION_TYPE: &str = "twitch-eventsub-subscription-type";
pub const SUBSCRIPTION_VERSION: &str = "twitch-eventsub-subscription-version";

/// The three kinds of message, plus any Twitch may add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageType {
    Notification,
    Verification,
    Revocation,
    Unknown(String),
}

impl MessageType {
    pub fn parse(value: &str) -> Self {
        match value {
            "notification" => MessageType::Notification,
            "webhook_callback_verification" => MessageType::Verification,
            "revocation" => MessageType::Revocation,
            other => MessageType::Unknown(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            MessageType::Notification => "notification",
            MessageType::Verification => "webhook_callback_verification",
            MessageType::Revocation => "revocation",
            MessageType::Unknown(other) => other,
        }
    }
}

/// The headers needed to check and route a message. Signature-related ones are required; without them a message
/// cannot be trusted.
#[derive(Debug, Clone)]
pub struct MessageHeaders {
    pub message_id: String,
    pub timestamp: String,
    pub signature: String,
    pub message_type: MessageType,
}

impl MessageHeaders {
    /// Reads the headers; `Err` names the first one missing.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, &'static str> {
        let get = |name: &'static str| {
            headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty()).ok_or(name)
        };
        Ok(MessageHeaders {
            message_id: get(MESSAGE_ID)?.to_string(),
            timestamp: get(MESSAGE_TIMESTAMP)?.to_string(),
            signature: get(MESSAGE_SIGNATURE)?.to_string(),
            message_type: MessageType::parse(get(MESSAGE_TYPE)?),
        })
    }
}

/// The `transport` of a subscription, as Twitch shows it (never with the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Transport {
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub callback: Option<String>,
}

/// A subscription as it appears in messages and Helix answers. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    #[serde(default)]
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub cost: i64,
    #[serde(default)]
    pub condition: Value,
    #[serde(default)]
    pub transport: Transport,
    #[serde(default)]
    pub created_at: String,
}

/// The body of any message. `event` is present in notifications, `challenge` in verifications.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    pub subscription: Subscription,
    #[serde(default)]
    pub event: Option<Value>,
    #[serde(default)]
    pub challenge: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_whatever_their_case() {
        let mut h = HeaderMap::new();
        h.insert("Twitch-Eventsub-Message-Id", "abc".parse().unwrap());
        h.insert("TWITCH-EVENTSUB-MESSAGE-TIMESTAMP", "2023-01-01T00:00:00Z".parse().unwrap());
        h.insert("twitch-eventsub-message-signature", "sha256=00".parse().unwrap());
        h.insert("Twitch-EventSub-Message-Type", "notification".parse().unwrap());
        let parsed = MessageHeaders::from_headers(&h).unwrap();
        assert_eq!(parsed.message_id, "abc");
        assert_eq!(parsed.message_type, MessageType::Notification);
    }

    #[test]
    fn a_missing_header_is_named() {
        let mut h = HeaderMap::new();
        h.insert("Twitch-Eventsub-Message-Id", "abc".parse().unwrap());
        assert_eq!(MessageHeaders::from_headers(&h).unwrap_err(), MESSAGE_TIMESTAMP);
    }

    #[test]
    fn the_docs_examples_parse() {
        for (file, kind) in [
            ("webhook_callback_verification.json", MessageType::Verification),
            ("revocation.json", MessageType::Revocation),
            ("channel.raid.json", MessageType::Notification),
        ] {
            let path = format!("{}/../testdata/twitch-payloads/{file}", env!("CARGO_MANIFEST_DIR"));
            let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let envelope: Envelope = serde_json::from_slice(&body).unwrap();
            assert!(!envelope.subscription.id.is_empty());
            match kind {
                MessageType::Verification => assert!(envelope.challenge.is_some()),
                MessageType::Revocation => assert!(envelope.event.is_none()),
                _ => assert!(envelope.event.is_some()),
            }
        }
    }
}
