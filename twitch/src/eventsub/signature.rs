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

    proptest::proptest! {
        /// Whatever the id, time and body, the signature sev computes verifies.
        #[test]
        fn any_signed_message_verifies(id in ".{0,40}", ts in ".{0,40}", body in proptest::collection::vec(0u8.., 0..300)) {
            let sig = sign(SECRET, &id, &ts, &body);
            proptest::prop_assert!(verify(SECRET, &id, &ts, &body, &sig));
        }

        /// Changing any one bit of the body, or of the signature, makes it fail; so does another secret.
        #[test]
        fn any_changed_bit_fails(
            body in proptest::collection::vec(0u8.., 1..300),
            at in 0usize..10_000,
            bit in 0u8..8,
            other_secret in "[a-z0-9]{10,30}",
        ) {
            let sig = sign(SECRET, ID, TS, &body);
            let mut changed = body.clone();
            let i = at % changed.len();
            changed[i] ^= 1 << bit;
            proptest::prop_assert!(!verify(SECRET, ID, TS, &changed, &sig));
            let mut bad_sig = sig.clone().into_bytes();
            let j = 7 + at % 64;
            bad_sig[j] = if bad_sig[j] == b'0' { b'1' } else { b'0' };
            proptest::prop_assert!(!verify(SECRET, ID, TS, &body, &String::from_utf8(bad_sig).unwrap()));
            proptest::prop_assume!(other_secret != SECRET);
            proptest::prop_assert!(!verify(&other_secret, ID, TS, &body, &sig));
        }
    }

    #[test]
    fn the_wrong_secret_fails() {
        let sig = sign(SECRET, ID, TS, BODY);
        assert!(!verify("another-secret", ID, TS, BODY, &sig));
        assert!(!verify(SECRET, ID, TS, BODY, ""));
    }
}
