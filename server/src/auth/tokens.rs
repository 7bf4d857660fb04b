//! Random tokens and their keyed hashes. Cookies carry random tokens; the database stores only
//! HMAC-SHA256(key, token), so neither a leaked database nor a leaked key alone yields a working cookie.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// 32 random bytes from the operating system's CSPRNG, URL-safe base64.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// HMAC-SHA256 of `value` under `key`, as hex: what is stored in place of a token.
pub fn keyed_hash(key: &str, value: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_different_each_time() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
    }

    #[test]
    fn the_hash_depends_on_the_key() {
        assert_eq!(keyed_hash("k1", "t"), keyed_hash("k1", "t"));
        assert_ne!(keyed_hash("k1", "t"), keyed_hash("k2", "t"));
        assert_eq!(keyed_hash("k1", "t").len(), 64);
    }
}
