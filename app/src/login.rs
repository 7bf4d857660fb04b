//! Twitch login names: the one rule for what a viewer may type as a streamer's name, checked in the browser for
//! a quick answer and again on the server, which never trusts the browser.

use std::fmt;

/// Shortest and longest login Twitch allows.
pub const MIN_LEN: usize = 4;
pub const MAX_LEN: usize = 25;

/// Why a login was refused. The messages are written for the person typing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginError {
    Empty,
    TooShort,
    TooLong,
    BadCharacter(char),
}

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginError::Empty => write!(f, "Type the streamer's Twitch login name."),
            LoginError::TooShort => write!(f, "A Twitch login has at least {MIN_LEN} characters."),
            LoginError::TooLong => write!(f, "A Twitch login has at most {MAX_LEN} characters."),
            LoginError::BadCharacter(' ') => write!(f, "A Twitch login has no spaces."),
            LoginError::BadCharacter(c) => {
                write!(f, "A Twitch login uses only letters, digits and underscores, not “{c}”.")
            }
        }
    }
}

impl std::error::Error for LoginError {}

/// Checks a login and returns it lower-cased, the form Twitch compares logins in. Surrounding spaces are
/// forgiven, since they are invisible in a text box.
pub fn normalize_login(input: &str) -> Result<String, LoginError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(LoginError::Empty);
    }
    if let Some(bad) = trimmed.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Err(LoginError::BadCharacter(bad));
    }
    match trimmed.len() {
        n if n < MIN_LEN => Err(LoginError::TooShort),
        n if n > MAX_LEN => Err(LoginError::TooLong),
        _ => Ok(trimmed.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_login_is_lower_cased_and_trimmed() {
        assert_eq!(normalize_login("  Cool_User42 "), Ok("cool_user42".to_string()));
    }

    #[test]
    fn lengths_four_and_twenty_five_are_accepted() {
        assert_eq!(normalize_login("abcd"), Ok("abcd".into()));
        let longest = "a".repeat(25);
        assert_eq!(normalize_login(&longest), Ok(longest.clone()));
    }

    #[test]
    fn too_short_and_too_long_are_refused() {
        assert_eq!(normalize_login("abc"), Err(LoginError::TooShort));
        assert_eq!(normalize_login(&"a".repeat(26)), Err(LoginError::TooLong));
    }

    #[test]
    fn empty_and_blank_are_refused() {
        assert_eq!(normalize_login(""), Err(LoginError::Empty));
        assert_eq!(normalize_login("   "), Err(LoginError::Empty));
    }

    #[test]
    fn characters_outside_the_twitch_alphabet_are_refused() {
        assert_eq!(normalize_login("bad-name"), Err(LoginError::BadCharacter('-')));
        assert_eq!(normalize_login("two words"), Err(LoginError::BadCharacter(' ')));
        assert_eq!(normalize_login("<script>"), Err(LoginError::BadCharacter('<')));
        assert_eq!(normalize_login("ünïcode"), Err(LoginError::BadCharacter('ü')));
    }

    #[test]
    fn every_error_has_a_readable_message() {
        for e in [LoginError::Empty, LoginError::TooShort, LoginError::TooLong, LoginError::BadCharacter('-')] {
            assert!(e.to_string().ends_with('.'), "{e}");
        }
    }
}
