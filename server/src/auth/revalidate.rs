//! Hourly token validation, which Twitch requires of every app that keeps OAuth sessions: a session whose token
//! Twitch no longer accepts is refreshed if it can be, and otherwise ended.

use std::time::Duration;

use twitch::TwitchError;

use crate::state::AppState;
use crate::storage::{StorageError, now};

/// How many sessions one pass looks at, so a large backlog is worked off in slices rather than all at once.
const BATCH: i64 = 200;

/// What one pass did, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub valid: usize,
    pub refreshed: usize,
    pub ended: usize,
    pub deferred: usize,
}

/// Validates every session last validated `max_age` ago or earlier.
pub async fn validate_due(app: &AppState, max_age: Duration) -> Result<Pass, StorageError> {
    let now = now();
    let due = app.db.sessions_due_for_validation(now - max_age.as_secs() as i64, now, BATCH).await?;
    let mut pass = Pass::default();
    let oauth = app.twitch.oauth();
    for s in due {
        match oauth.validate(&s.access_token).await {
            Ok(_) => {
                app.db.session_validated(&s.id_hash, &s.access_token, s.refresh_token.as_deref(), now).await?;
                pass.valid += 1;
            }
            Err(TwitchError::InvalidToken) => {
                let refreshed = match &s.refresh_token {
                    Some(r) => oauth.refresh(r).await.ok(),
                    None => None,
                };
                match refreshed {
                    Some(t) => {
                        let refresh = t.refresh_token.as_deref().or(s.refresh_token.as_deref());
                        app.db.session_validated(&s.id_hash, &t.access_token, refresh, now).await?;
                        pass.refreshed += 1;
                    }
                    None => {
                        app.db.delete_session(&s.id_hash).await?;
                        tracing::info!(user_id = %s.user_id, "session ended: Twitch no longer accepts its token");
                        pass.ended += 1;
                    }
                }
            }
            Err(e) => {
                // Twitch being down is not the viewer's fault: try again next pass.
                tracing::warn!(error = %e, "token validation deferred");
                pass.deferred += 1;
            }
        }
    }
    app.db.purge_sessions(now).await?;
    app.db.purge_oauth_states(now).await?;
    Ok(pass)
}

/// Runs [`validate_due`] at start-up on every session, and then every tenth of the interval, so each token is checked about once
/// an interval.
pub fn spawn(app: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let interval = app.settings.token_validate_interval;
        let mut ticker = tokio::time::interval((interval / 10).max(Duration::from_secs(1)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut max_age = Duration::ZERO; // Twitch asks for a check of every session at start-up.
        loop {
            ticker.tick().await;
            let result = validate_due(&app, max_age).await;
            max_age = interval;
            match result {
                Ok(pass) if pass != Pass::default() => {
                    tracing::info!(?pass, "validated Twitch tokens")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "token validation pass failed"),
            }
        }
    })
}
