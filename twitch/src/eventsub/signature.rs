//! The EventSub message signature: `sha256=` + hex(HMAC-SHA256(secret, message id ‖ timestamp ‖ raw body)).
//! It must be computed over the body bytes exactly as received, never over re-serialized JSON.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

fn mac(secret: &str, message_id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(message_id.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac
}

/// The signature header value Twitch would send.
pub fn sign(secret: &str, message_id: &str, timestamp: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(secret, message_id, timestamp, body).finalize().into_bytes()))
}

/// Whether `signature` is right, compared in constant time.
pub fn verify(secret: &str, message_id: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let expected = sign(secret, message_id, timestamp, body);
    bool::from(expected.as_bytes().ct_eq(signature.trim().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cre7-s3cre7";
    const ID: &str = "e76c6bd4-55c9-4987-8304-da1588d8988b";
    const TS: &str = "2019-11-16T10:11:12.634234626Z";
    const BODY: &[u8] = br#"{"subscription":{"id":"f1c2a387"},"event":{"user_name":"Cool_User"}}"#;
    /// Computed independently with Python's hmac module:
    /// hmac.new(b"s3cre7-s3cre7", (ID + TS).encode() + BODY, hashlib.sha256).hexdigest()
    const EXPECTED: &str = "sha256=9ff89e190c45b4afc771d35e1481da538942a770835c5fbded1700fe55c5356c";

    #[test]
    fn a_correct_signature_verifies() {
        let sig = sign(SECRET, ID, TS, BODY);
        assert!(sig.starts_with("sha256=") && sig.len() == 71);
        assert!(verify(SECRET, ID, TS, BODY, &sig));
    }

    #[test]
    fn the_signature_matches_an_independent_implementation() {
        assert_eq!(sign(SECRET, ID, TS, BODY), EXPECTED);
    }

    #[test]
    fn a_tampered_body_fails() {
        let sig = sign(SECRET, ID, TS, BODY);
        let tampered = br#"{"subscription":{"id":"f1c2a387"},"event":{"user_name":"Evil_User"}}"#;
        assert!(!verify(SECRET, ID, TS, tampered, &sig));
        let reformatted = br#"{"subscription": {"id": "f1c2a387"}, "event": {"user_name": "Cool_User"}}"#;
        assert!(!verify(SECRET, ID, TS, reformatted, &sig), "re-serialized JSON must not verify");
    }

    #[test]
    fn a_tampered_header_fails() {
        let sig = sign(SECRET, ID, TS, BODY);
        assert!(!verify(SECRET, "another-id", TS, BODY, &sig));
        assert!(!verify(SECRET, ID, "2019-11-16T10:11:13.634234626Z", BODY, &sig));
        assert!(!verify(SECRET, ID, TS, BODY, &sig.to_uppercase()));
    }

    #[test]
    fn the_wrong_secret_fails() {
        let sig = sign(SECRET, ID, TS, BODY);
        assert!(!verify("another-secret", ID, TS, BODY, &sig));
        assert!(!verify(SECRET, ID, TS, BODY, ""));
    }
}
