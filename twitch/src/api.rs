//! The app-token side of the client: Helix calls made on sev's own behalf with a cached app access token.
//!
//! Twitch's advice is to fetch a new token when it answers 401 rather than to track expiry on a timer, so the
//! cache keeps a token until Twitch rejects it (or until just before its stated expiry), then fetches one again
//! and retries the call once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::error::TwitchError;
use crate::helix::{Helix, HelixUser};
use crate::oauth::OAuth;
use crate::stats::ApiStats;

struct CachedToken {
    token: String,
    expires: Option<Instant>,
}

/// Helix with a cached app access token.
pub struct TwitchApi {
    oauth: OAuth,
    helix: Helix,
    app_token: Mutex<Option<CachedToken>>,
}

impl TwitchApi {
    /// OAuth and Helix calls are counted together, in Helix's [`ApiStats`].
    pub fn new(mut oauth: OAuth, helix: Helix) -> Self {
        oauth.stats = Arc::clone(&helix.stats);
        TwitchApi { oauth, helix, app_token: Mutex::new(None) }
    }

    /// What sev has asked of Twitch, for metrics.
    pub fn stats(&self) -> &ApiStats {
        &self.helix.stats
    }

    pub fn oauth(&self) -> &OAuth {
        &self.oauth
    }

    pub fn helix(&self) -> &Helix {
        &self.helix
    }

    /// Returns the cached app token, fetching one when there is none or it is about to expire. The lock is held
    /// across the fetch so that concurrent callers share one token request instead of stampeding Twitch.
    pub async fn app_token(&self) -> Result<String, TwitchError> {
        let mut cached = self.app_token.lock().await;
        if let Some(c) = cached.as_ref() {
            let fresh = c.expires.is_none_or(|at| at > Instant::now() + Duration::from_secs(60));
            if fresh {
                return Ok(c.token.clone());
            }
        }
        let tokens = self.oauth.app_token().await?;
        let token = tokens.access_token.clone();
        *cached = Some(CachedToken {
            token: tokens.access_token,
            expires: tokens.expires_in.map(|s| Instant::now() + Duration::from_secs(s)),
        });
        tracing::debug!("fetched a new app access token");
        Ok(token)
    }

    /// Forgets `token` if it is still the cached one, so the next call fetches another.
    async fn forget_app_token(&self, token: &str) {
        let mut cached = self.app_token.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == token) {
            *cached = None;
        }
    }

    /// Runs a Helix call with the app token, and once more with a new token if Twitch answers 401.
    pub async fn with_app_token<T, F, Fut>(&self, call: F) -> Result<T, TwitchError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, TwitchError>>,
    {
        let token = self.app_token().await?;
        match call(token.clone()).await {
            Err(TwitchError::InvalidToken) => {
                tracing::info!("Twitch rejected the app access token; fetching a new one");
                self.forget_app_token(&token).await;
                call(self.app_token().await?).await
            }
            other => other,
        }
    }

    /// Looks one user up by login with the app token; `None` when Twitch does not know the login.
    pub async fn user_by_login(&self, login: &str) -> Result<Option<HelixUser>, TwitchError> {
        let users = self.with_app_token(|token| async move { self.helix.users(&token, &[login], &[]).await }).await?;
        Ok(users.into_iter().find(|u| u.login.eq_ignore_ascii_case(login)))
    }

    /// Looks one user up by id with the app token.
    pub async fn user_by_id(&self, id: &str) -> Result<Option<HelixUser>, TwitchError> {
        let users = self.with_app_token(|token| async move { self.helix.users(&token, &[], &[id]).await }).await?;
        Ok(users.into_iter().find(|u| u.id == id))
    }
}
