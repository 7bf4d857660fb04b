//! Authorization codes, access tokens and refresh tokens, with Twitch's lifetimes and rules:
//!
//! - a code lives 10 minutes, is bound to the client, redirect URI, user and scopes it was issued
//!   for, and is consumed by its first use, successful or not;
//! - a user access token lives about four hours and comes with a refresh token; refreshing rotates
//!   the refresh token, so the old one stops working;
//! - an app access token (client credentials) lives about two months and has no refresh token;
//! - revoking an access token also kills its refresh token; a user disconnecting the app kills
//!   every token of that user.
//!
//! Lifetimes are slightly randomised like Twitch's, so a client that hard-codes them rather than
//! reading `expires_in` is caught.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, header};
use rand::Rng;

use crate::clock::seconds_left;

const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
const USER_TOKEN_LIFETIME_SECONDS: RangeInclusive<u64> = 14_000..=14_800;
const APP_TOKEN_LIFETIME_SECONDS: RangeInclusive<u64> = 4_800_000..=5_400_000;
const TOKEN_LENGTH: usize = 30;

/// A fresh random token or code: 30 lower-case letters and digits, like Twitch's.
fn random_token() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..TOKEN_LENGTH).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

fn random_lifetime(seconds: RangeInclusive<u64>) -> u64 {
    rand::rng().random_range(seconds)
}

/// What an authorization code stands for until it is exchanged.
#[derive(Debug)]
struct AuthorizationCode {
    client_id: String,
    redirect_uri: String,
    login: String,
    scopes: Vec<String>,
    expires_at: SystemTime,
}

/// Why an access token no longer works, if it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Revocation {
    /// Still valid (until it expires).
    None,
    /// The client revoked it through `POST /oauth2/revoke`.
    ByClient,
    /// The user disconnected the app.
    ByUser,
}

#[derive(Debug)]
struct AccessToken {
    client_id: String,
    /// `None` for app tokens.
    login: Option<String>,
    scopes: Vec<String>,
    expires_at: SystemTime,
    /// The refresh token issued with it, which revoking this token also kills.
    refresh_token: Option<String>,
    revocation: Revocation,
}

/// A live refresh token: what a refresh will grant again.
#[derive(Debug)]
struct RefreshGrant {
    client_id: String,
    login: String,
    scopes: Vec<String>,
}

/// A user access token and its refresh token, as the token endpoint returns them.
#[derive(Debug, Clone)]
pub(crate) struct UserTokens {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) expires_in: u64,
    pub(crate) scopes: Vec<String>,
}

/// An app access token, as the token endpoint returns it.
#[derive(Debug, Clone)]
pub(crate) struct AppToken {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
}

/// Who a valid access token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenOwner {
    pub(crate) client_id: String,
    /// The user's lower-cased login; `None` for an app token.
    pub(crate) login: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_in: u64,
}

/// The code's user and scopes, once the code was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeGrant {
    pub(crate) login: String,
    pub(crate) scopes: Vec<String>,
}

/// The token to revoke is unknown, or belongs to another client.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct InvalidToken;

/// Every code and token the mock has issued and not yet forgotten.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    codes: HashMap<String, AuthorizationCode>,
    access_tokens: HashMap<String, AccessToken>,
    refresh_tokens: HashMap<String, RefreshGrant>,
}

impl TokenStore {
    /// Issues a single-use authorization code.
    pub(crate) fn issue_code(
        &mut self,
        client_id: &str,
        redirect_uri: &str,
        login: &str,
        scopes: Vec<String>,
        now: SystemTime,
    ) -> String {
        self.forget_expired(now);
        let code = random_token();
        self.codes.insert(
            code.clone(),
            AuthorizationCode {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                login: login.to_owned(),
                scopes,
                expires_at: now + CODE_LIFETIME,
            },
        );
        code
    }

    /// Consumes the code (whatever the outcome, so a failed attempt cannot be retried) and
    /// returns what it grants if it is unexpired and was issued to this client for this exact
    /// redirect URI.
    pub(crate) fn redeem_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: Option<&str>,
        now: SystemTime,
    ) -> Option<CodeGrant> {
        let issued = self.codes.remove(code)?;
        let acceptable = issued.client_id == client_id
            && redirect_uri == Some(issued.redirect_uri.as_str())
            && seconds_left(now, issued.expires_at).is_some();
        acceptable.then_some(CodeGrant { login: issued.login, scopes: issued.scopes })
    }

    /// Issues a user access token with a new refresh token.
    pub(crate) fn issue_user_tokens(
        &mut self,
        client_id: &str,
        login: &str,
        scopes: Vec<String>,
        now: SystemTime,
    ) -> UserTokens {
        self.forget_expired(now);
        let access_token = random_token();
        let refresh_token = random_token();
        let expires_in = random_lifetime(USER_TOKEN_LIFETIME_SECONDS);
        self.access_tokens.insert(
            access_token.clone(),
            AccessToken {
                client_id: client_id.to_owned(),
                login: Some(login.to_owned()),
                scopes: scopes.clone(),
                expires_at: now + Duration::from_secs(expires_in),
                refresh_token: Some(refresh_token.clone()),
                revocation: Revocation::None,
            },
        );
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant { client_id: client_id.to_owned(), login: login.to_owned(), scopes: scopes.clone() },
        );
        UserTokens { access_token, refresh_token, expires_in, scopes }
    }

    /// Exchanges a live refresh token of this client for a new access token and a new refresh
    /// token; the old refresh token is used up. Access tokens issued earlier stay valid until
    /// they expire, as on Twitch.
    pub(crate) fn refresh(&mut self, refresh_token: &str, client_id: &str, now: SystemTime) -> Option<UserTokens> {
        if self.refresh_tokens.get(refresh_token)?.client_id != client_id {
            return None;
        }
        let grant = self.refresh_tokens.remove(refresh_token)?;
        Some(self.issue_user_tokens(client_id, &grant.login, grant.scopes, now))
    }

    /// Issues an app access token (client credentials grant).
    pub(crate) fn issue_app_token(&mut self, client_id: &str, now: SystemTime) -> AppToken {
        self.forget_expired(now);
        let access_token = random_token();
        let expires_in = random_lifetime(APP_TOKEN_LIFETIME_SECONDS);
        self.access_tokens.insert(
            access_token.clone(),
            AccessToken {
                client_id: client_id.to_owned(),
                login: None,
                scopes: Vec::new(),
                expires_at: now + Duration::from_secs(expires_in),
                refresh_token: None,
                revocation: Revocation::None,
            },
        );
        AppToken { access_token, expires_in }
    }

    /// Who the access token speaks for, if it is known, unrevoked and unexpired.
    pub(crate) fn validate(&self, access_token: &str, now: SystemTime) -> Option<TokenOwner> {
        let token = self.access_tokens.get(access_token)?;
        if token.revocation != Revocation::None {
            return None;
        }
        let expires_in = seconds_left(now, token.expires_at)?;
        Some(TokenOwner {
            client_id: token.client_id.clone(),
            login: token.login.clone(),
            scopes: token.scopes.clone(),
            expires_in,
        })
    }

    /// Revokes an access token of this client, and the refresh token issued with it.
    /// Revoking a token twice succeeds, as it changes nothing.
    pub(crate) fn revoke(&mut self, client_id: &str, access_token: &str) -> Result<(), InvalidToken> {
        let token = self
            .access_tokens
            .get_mut(access_token)
            .filter(|token| token.client_id == client_id)
            .ok_or(InvalidToken)?;
        if token.revocation == Revocation::None {
            token.revocation = Revocation::ByClient;
        }
        if let Some(refresh_token) = &token.refresh_token {
            self.refresh_tokens.remove(refresh_token);
        }
        Ok(())
    }

    /// True if the access token was revoked through `POST /oauth2/revoke`.
    pub(crate) fn was_revoked_by_client(&self, access_token: &str) -> bool {
        self.access_tokens.get(access_token).is_some_and(|token| token.revocation == Revocation::ByClient)
    }

    /// Access tokens issued to `login`, with the refresh tokens issued beside them.
    pub(crate) fn issued_to(&self, login: &str) -> Vec<String> {
        self.access_tokens
            .iter()
            .filter(|(_, t)| t.login.as_deref() == Some(login))
            .flat_map(|(access, t)| std::iter::once(access.clone()).chain(t.refresh_token.clone()))
            .collect()
    }

    /// User access tokens of `login` that are neither revoked nor expired.
    pub(crate) fn usable_of(&self, login: &str, now: SystemTime) -> usize {
        self.access_tokens
            .values()
            .filter(|t| t.login.as_deref() == Some(login) && t.revocation == Revocation::None)
            .filter(|t| seconds_left(now, t.expires_at).is_some())
            .count()
    }

    /// The user disconnected the app: all their codes, access tokens and refresh tokens die.
    /// They can sign in again and get new ones.
    pub(crate) fn disconnect_user(&mut self, login: &str) {
        self.codes.retain(|_, code| code.login != login);
        self.refresh_tokens.retain(|_, grant| grant.login != login);
        for token in self.access_tokens.values_mut() {
            if token.login.as_deref() == Some(login) && token.revocation == Revocation::None {
                token.revocation = Revocation::ByUser;
            }
        }
    }

    /// Drops expired codes and expired unrevoked access tokens, so a long-running demo does not
    /// grow without bound. Revoked tokens are kept: tests ask [`Self::was_revoked_by_client`]
    /// about them.
    fn forget_expired(&mut self, now: SystemTime) {
        self.codes.retain(|_, code| seconds_left(now, code.expires_at).is_some());
        self.access_tokens
            .retain(|_, token| token.revocation != Revocation::None || seconds_left(now, token.expires_at).is_some());
    }
}

/// The access token in an `Authorization: <scheme> <token>` header, if the scheme is one of
/// `accepted_schemes` (compared case-insensitively, as HTTP auth schemes are). The OAuth
/// service's validate endpoint takes `OAuth` (and `Bearer`); Helix takes only `Bearer`.
pub(crate) fn presented_token<'a>(headers: &'a HeaderMap, accepted_schemes: &[&str]) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    let accepted = accepted_schemes.iter().any(|accepted| scheme.eq_ignore_ascii_case(accepted));
    (accepted && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const CLIENT: &str = "client";
    const REDIRECT: &str = "http://localhost/cb";

    fn start() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn scopes() -> Vec<String> {
        vec!["user:read:email".to_owned()]
    }

    #[test]
    fn presented_tokens_need_an_accepted_scheme() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "OAuth abc123".parse().expect("header"));
        assert_eq!(presented_token(&headers, &["OAuth", "Bearer"]), Some("abc123"));
        assert_eq!(presented_token(&headers, &["Bearer"]), None);
        headers.insert(header::AUTHORIZATION, "bearer  abc123 ".parse().expect("header"));
        assert_eq!(presented_token(&headers, &["Bearer"]), Some("abc123"));
        headers.insert(header::AUTHORIZATION, "Bearer".parse().expect("header"));
        assert_eq!(presented_token(&headers, &["Bearer"]), None);
        assert_eq!(presented_token(&HeaderMap::new(), &["Bearer"]), None);
    }

    #[test]
    fn tokens_are_30_lowercase_alphanumerics() {
        let token = random_token();
        assert_eq!(token.len(), 30);
        assert!(token.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit()));
        assert_ne!(token, random_token());
    }

    #[test]
    fn a_code_works_once_for_its_client_and_redirect_uri() {
        let mut store = TokenStore::default();
        let code = store.issue_code(CLIENT, REDIRECT, "alice", scopes(), start());
        let grant = store.redeem_code(&code, CLIENT, Some(REDIRECT), start());
        assert_eq!(grant, Some(CodeGrant { login: "alice".into(), scopes: scopes() }));
        assert_eq!(store.redeem_code(&code, CLIENT, Some(REDIRECT), start()), None);
    }

    #[test]
    fn a_code_is_consumed_by_a_failed_attempt() {
        let mut store = TokenStore::default();
        let code = store.issue_code(CLIENT, REDIRECT, "alice", scopes(), start());
        assert_eq!(store.redeem_code(&code, CLIENT, Some("http://localhost/other"), start()), None);
        assert_eq!(store.redeem_code(&code, CLIENT, Some(REDIRECT), start()), None);

        let code = store.issue_code(CLIENT, REDIRECT, "alice", scopes(), start());
        assert_eq!(store.redeem_code(&code, "other", Some(REDIRECT), start()), None);
        assert_eq!(store.redeem_code(&code, CLIENT, Some(REDIRECT), start()), None);
    }

    #[test]
    fn a_code_expires_after_ten_minutes() {
        let mut store = TokenStore::default();
        let code = store.issue_code(CLIENT, REDIRECT, "alice", scopes(), start());
        let late = start() + CODE_LIFETIME;
        assert_eq!(store.redeem_code(&code, CLIENT, Some(REDIRECT), late), None);
    }

    #[test]
    fn user_tokens_validate_until_they_expire() {
        let mut store = TokenStore::default();
        let tokens = store.issue_user_tokens(CLIENT, "alice", scopes(), start());
        assert!(USER_TOKEN_LIFETIME_SECONDS.contains(&tokens.expires_in));
        let owner = store.validate(&tokens.access_token, start()).expect("valid");
        assert_eq!(owner.login.as_deref(), Some("alice"));
        assert_eq!(owner.expires_in, tokens.expires_in);
        let expiry = start() + Duration::from_secs(tokens.expires_in);
        assert_eq!(store.validate(&tokens.access_token, expiry), None);
    }

    #[test]
    fn refreshing_rotates_the_refresh_token() {
        let mut store = TokenStore::default();
        let first = store.issue_user_tokens(CLIENT, "alice", scopes(), start());
        assert!(store.refresh(&first.refresh_token, "other", start()).is_none());
        let second = store.refresh(&first.refresh_token, CLIENT, start()).expect("refreshable");
        assert_ne!(second.access_token, first.access_token);
        assert_ne!(second.refresh_token, first.refresh_token);
        assert_eq!(second.scopes, scopes());
        assert!(store.refresh(&first.refresh_token, CLIENT, start()).is_none());
        assert!(store.validate(&second.access_token, start()).is_some());
    }

    #[test]
    fn revoking_kills_the_access_and_refresh_token() {
        let mut store = TokenStore::default();
        let tokens = store.issue_user_tokens(CLIENT, "alice", scopes(), start());
        assert_eq!(store.revoke("other", &tokens.access_token), Err(InvalidToken));
        assert_eq!(store.revoke(CLIENT, "unknown"), Err(InvalidToken));
        assert_eq!(store.revoke(CLIENT, &tokens.access_token), Ok(()));
        assert!(store.was_revoked_by_client(&tokens.access_token));
        assert_eq!(store.validate(&tokens.access_token, start()), None);
        assert!(store.refresh(&tokens.refresh_token, CLIENT, start()).is_none());
    }

    #[test]
    fn disconnecting_a_user_kills_only_their_tokens() {
        let mut store = TokenStore::default();
        let alice = store.issue_user_tokens(CLIENT, "alice", scopes(), start());
        let bob = store.issue_user_tokens(CLIENT, "bob", scopes(), start());
        store.disconnect_user("alice");
        assert_eq!(store.validate(&alice.access_token, start()), None);
        assert!(store.refresh(&alice.refresh_token, CLIENT, start()).is_none());
        assert!(!store.was_revoked_by_client(&alice.access_token));
        assert!(store.validate(&bob.access_token, start()).is_some());
    }

    #[test]
    fn app_tokens_have_no_user_and_a_long_life() {
        let mut store = TokenStore::default();
        let app = store.issue_app_token(CLIENT, start());
        assert!(APP_TOKEN_LIFETIME_SECONDS.contains(&app.expires_in));
        let owner = store.validate(&app.access_token, start()).expect("valid");
        assert_eq!(owner.login, None);
        assert!(owner.scopes.is_empty());
    }
}
