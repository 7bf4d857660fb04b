//! The OAuth `state` check: the defence against a forged callback (login CSRF).
//!
//! A state is random, set in a short-lived cookie on the browser that started the sign-in, stored server-side
//! (hashed) until it is used or expires, and deleted on first use. A callback passes only if its `state` equals
//! the cookie (same browser), the stored copy still exists (single use) and has not expired.

use subtle::ConstantTimeEq;

use app::models::SignInFailure;

/// How long a sign-in may take between leaving for Twitch and coming back.
pub const STATE_LIFETIME_SECS: i64 = 600;

/// Where the checks stand before the stored copy is consulted.
pub fn check_browser(query_state: Option<&str>, cookie_state: Option<&str>) -> Result<(), SignInFailure> {
    let query_state = query_state.filter(|s| !s.is_empty()).ok_or(SignInFailure::StateMissing)?;
    let cookie_state = cookie_state.filter(|s| !s.is_empty()).ok_or(SignInFailure::StateMismatch)?;
    if bool::from(query_state.as_bytes().ct_eq(cookie_state.as_bytes())) {
        Ok(())
    } else {
        Err(SignInFailure::StateMismatch)
    }
}

/// The verdict on the stored copy, which the caller has just deleted: `None` if there was none.
pub fn check_stored(stored_expiry: Option<i64>, now: i64) -> Result<(), SignInFailure> {
    match stored_expiry {
        None => Err(SignInFailure::StateUnknown),
        Some(expires_at) if expires_at <= now => Err(SignInFailure::StateExpired),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matching_state_passes() {
        assert_eq!(check_browser(Some("abc"), Some("abc")), Ok(()));
        assert_eq!(check_stored(Some(1_000), 999), Ok(()));
    }

    #[test]
    fn a_missing_state_is_refused() {
        assert_eq!(check_browser(None, Some("abc")), Err(SignInFailure::StateMissing));
        assert_eq!(check_browser(Some(""), Some("abc")), Err(SignInFailure::StateMissing));
    }

    #[test]
    fn a_state_from_another_browser_is_refused() {
        assert_eq!(check_browser(Some("abc"), None), Err(SignInFailure::StateMismatch));
        assert_eq!(check_browser(Some("abc"), Some("abd")), Err(SignInFailure::StateMismatch));
        assert_eq!(check_browser(Some("abc"), Some("abcd")), Err(SignInFailure::StateMismatch));
    }

    #[test]
    fn a_used_or_unknown_state_is_refused() {
        assert_eq!(check_stored(None, 0), Err(SignInFailure::StateUnknown));
    }

    #[test]
    fn an_expired_state_is_refused() {
        assert_eq!(check_stored(Some(1_000), 1_000), Err(SignInFailure::StateExpired));
        assert_eq!(check_stored(Some(1_000), 5_000), Err(SignInFailure::StateExpired));
    }
}
