//! EventSub webhook messages as Twitch builds them: the subscription object, the three message bodies, the signed
//! header set, and realistic `event` objects for every type sev subscribes to.
//!
//! The mock's own deliveries use these, and so does sev's `sev-tools trigger` command (its `twitch event trigger`), so
//! nothing here depends on the mock's state: each function takes what it needs and returns plain JSON or bytes.
//! Bodies are returned as bytes because the signature covers the exact bytes sent; a caller must send what it
//! signed, never a re-serialisation.

mod cast;
mod events;

use std::time::SystemTime;

use rand::Rng;
use serde_json::{Value, json};
use twitch::eventsub::message::{
    MESSAGE_ID, MESSAGE_RETRY, MESSAGE_SIGNATURE, MESSAGE_TIMESTAMP, MESSAGE_TYPE, SUBSCRIPTION_TYPE,
    SUBSCRIPTION_VERSION,
};
use twitch::eventsub::signature::sign;

use crate::time::rfc3339_utc_nanos;

pub use events::{authorization_revoke, event, raid_from};

/// The `Twitch-Eventsub-Message-Type` of a notification.
pub const NOTIFICATION: &str = "notification";
/// The `Twitch-Eventsub-Message-Type` of a challenge.
pub const WEBHOOK_CALLBACK_VERIFICATION: &str = "webhook_callback_verification";
/// The `Twitch-Eventsub-Message-Type` of a revocation.
pub const REVOCATION: &str = "revocation";

/// The subscription object that Helix answers with and every message carries. `created_at` is now; a caller
/// that keeps subscriptions overwrites it with the creation time it stored. The transport never shows the secret.
pub fn subscription_object(
    id: &str,
    subscription_type: &str,
    version: &str,
    condition: &Value,
    callback: &str,
    status: &str,
    cost: i64,
) -> Value {
    json!({
        "id": id,
        "status": status,
        "type": subscription_type,
        "version": version,
        "condition": condition,
        "transport": { "method": "webhook", "callback": callback },
        "created_at": now_timestamp(),
        "cost": cost,
    })
}

/// `{"subscription": …, "event": …}`: a notification.
pub fn notification_body(subscription: &Value, event: &Value) -> Vec<u8> {
    json!({ "subscription": subscription, "event": event }).to_string().into_bytes()
}

/// `{"subscription": …}` with no `event`: a revocation. The subscription's status says why.
pub fn revocation_body(subscription: &Value) -> Vec<u8> {
    json!({ "subscription": subscription }).to_string().into_bytes()
}

/// `{"challenge": …, "subscription": …}`: the verification request a new subscription's callback must answer
/// with the bare challenge.
pub fn verification_body(subscription: &Value, challenge: &str) -> Vec<u8> {
    json!({ "challenge": challenge, "subscription": subscription }).to_string().into_bytes()
}

/// Every header Twitch sends with a message, the signature over `message_id ‖ timestamp ‖ body` included.
/// `Message-Retry` is `0`, as on a first delivery; a resend replaces it.
pub fn signed_headers(
    secret: &str,
    message_id: &str,
    timestamp: &str,
    message_type: &str,
    subscription_type: &str,
    version: &str,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".to_owned()),
        (MESSAGE_ID, message_id.to_owned()),
        (MESSAGE_RETRY, "0".to_owned()),
        (MESSAGE_TYPE, message_type.to_owned()),
        (MESSAGE_SIGNATURE, sign(secret, message_id, timestamp, body)),
        (MESSAGE_TIMESTAMP, timestamp.to_owned()),
        (SUBSCRIPTION_TYPE, subscription_type.to_owned()),
        (SUBSCRIPTION_VERSION, version.to_owned()),
    ]
}

/// The current time as EventSub writes it: RFC 3339, UTC, nine fractional digits. This is the real wall clock,
/// not the mock's adjustable one, because receivers compare message timestamps with their own clock.
pub fn now_timestamp() -> String {
    rfc3339_utc_nanos(SystemTime::now())
}

/// The `Twitch-Eventsub-Message-Timestamp` of a message sent `seconds_ago` (still fresh under ten minutes).
pub fn timestamp_ago(seconds_ago: u64) -> String {
    rfc3339_utc_nanos(SystemTime::now() - std::time::Duration::from_secs(seconds_ago))
}

/// A fresh random message id, shaped like Twitch's (a version-4 UUID). Subscription ids look the same.
pub fn new_message_id() -> String {
    let mut bytes: [u8; 16] = rand::rng().random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Random letters and digits of both cases, for ids that are not UUIDs (hype trains, client ids, challenges).
pub fn random_alphanumeric(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use twitch::eventsub::signature::verify;

    #[test]
    fn message_ids_are_version_4_uuids() {
        let id = new_message_id();
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(groups.iter().map(|group| group.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(groups[2].starts_with('4'));
        assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(id, new_message_id());
    }

    #[test]
    fn timestamps_have_nanoseconds_in_utc() {
        let timestamp = now_timestamp();
        let (_, fraction) = timestamp.split_once('.').expect("fraction");
        assert_eq!(fraction.len(), 10, "{timestamp}");
        assert!(fraction.ends_with('Z'));
    }

    #[test]
    fn signed_headers_carry_a_signature_over_the_exact_body() {
        let body = verification_body(&json!({"id": "x"}), "challenge");
        let headers =
            signed_headers("0123456789", "id-1", "2024-01-01T00:00:00.000000000Z", REVOCATION, "t", "1", &body);
        let get = |name: &str| headers.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone());
        let signature = get(MESSAGE_SIGNATURE).expect("signature");
        assert!(verify("0123456789", "id-1", "2024-01-01T00:00:00.000000000Z", &body, &signature));
        assert_eq!(get(MESSAGE_RETRY).as_deref(), Some("0"));
        assert_eq!(get(MESSAGE_TYPE).as_deref(), Some("revocation"));
        assert_eq!(headers.len(), 8);
    }

    #[test]
    fn a_revocation_has_no_event_and_a_verification_has_a_challenge() {
        let subscription = subscription_object("id", "stream.online", "1", &json!({}), "http://cb", "x", 1);
        let revocation: Value = serde_json::from_slice(&revocation_body(&subscription)).expect("json");
        assert!(revocation.get("event").is_none());
        let verification: Value = serde_json::from_slice(&verification_body(&subscription, "abc")).expect("json");
        assert_eq!(verification["challenge"], "abc");
        assert_eq!(verification["subscription"]["transport"], json!({"method": "webhook", "callback": "http://cb"}));
    }
}
