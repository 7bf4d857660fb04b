//! Hourly token validation, which Twitch requires of every app that keeps OAuth sessions: a session whose token
//! Twitch no longer accepts is refreshed if it can be, and otherwise ended.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::{StreamExt, stream};

use twitch::TwitchError;

use crate::metrics::BackgroundLoop;
use crate::state::AppState;
use crate::storage::{SessionRecord, StorageError, now};

/// How many sessions one claim takes, so a large backlog is worked off in slices.
const BATCH: i64 = 200;
/// How many validations run at once: Twitch answers each in tens of milliseconds, so one at a time would cap an
/// instance at a few thousand sessions per pass.
const CONCURRENCY: usize = 16;
/// When a claimed session whose check did not finish falls due again.
const RETRY_SECS: i64 = 300;

/// What one pass did, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub valid: usize,
    pub refreshed: usize,
    pub ended: usize,
    pub deferred: usize,
}

/// What became of one session's check.
enum Checked {
    Valid,
    Refreshed,
    Ended,
    Deferred,
}

/// Validates every session last validated `max_age` ago or earlier, claiming them in slices so that instances
/// sharing the database split the work.
pub async fn validate_due(app: &AppState, max_age: Duration) -> Result<Pass, StorageError> {
    let now = now();
    let due_before = now - max_age.as_secs() as i64;
    let retry_at = due_before + RETRY_SECS;
    let mut pass = Pass::default();
    let mut seen = HashSet::new();
    loop {
        let claimed = app.db.claim_sessions_for_validation(due_before, retry_at, now, BATCH).await?;
        let full = claimed.len() as i64 == BATCH;
        // Claims come oldest first and checked sessions become the newest, so meeting one again means every
        // older session is done (this happens when max_age is zero, as at start-up).
        let fresh: Vec<SessionRecord> = claimed.into_iter().filter(|s| seen.insert(s.id_hash.clone())).collect();
        let met_checked = fresh.len() as i64 != BATCH;
        let outcomes: Vec<Result<Checked, StorageError>> =
            stream::iter(fresh).map(|s| check(app, s, now)).buffer_unordered(CONCURRENCY).collect().await;
        for outcome in outcomes {
            match outcome? {
                Checked::Valid => pass.valid += 1,
                Checked::Refreshed => pass.refreshed += 1,
                Checked::Ended => pass.ended += 1,
                Checked::Deferred => pass.deferred += 1,
            }
        }
        if !full || met_checked {
            break;
        }
    }
    app.db.purge_sessions(now).await?;
    app.db.purge_oauth_states(now).await?;
    Ok(pass)
}

/// Checks one session's token with Twitch: kept, refreshed, ended, or left for a later pass.
///
/// Only sessions started before sev stopped keeping tokens come here: those started since hold none and are marked
/// validated until they expire (see `session::start`), so they never fall due.
async fn check(app: &AppState, s: SessionRecord, now: i64) -> Result<Checked, StorageError> {
    let oauth = app.twitch.oauth();
    match oauth.validate(&s.access_token).await {
        Ok(_) => {
            app.db.session_validated(&s.id_hash, &s.access_token, s.refresh_token.as_deref(), now).await?;
            Ok(Checked::Valid)
        }
        Err(TwitchError::InvalidToken) => {
            let refreshed = match &s.refresh_token {
                Some(r) => oauth.refresh(r).await.map(Some),
                None => Ok(None),
            };
            match refreshed {
                // Only Twitch refusing the refresh ends the session; Twitch failing to answer does not.
                Err(
                    e @ (TwitchError::Timeout
                    | TwitchError::Unavailable(_)
                    | TwitchError::RateLimited { .. }
                    | TwitchError::Protocol(_)),
                ) => {
                    tracing::warn!(error = %e, "token refresh deferred");
                    Ok(Checked::Deferred)
                }
                Ok(Some(t)) => {
                    let refresh = t.refresh_token.as_deref().or(s.refresh_token.as_deref());
                    app.db.session_validated(&s.id_hash, &t.access_token, refresh, now).await?;
                    Ok(Checked::Refreshed)
                }
                Ok(None) | Err(_) => {
                    app.db.delete_session(&s.id_hash).await?;
                    tracing::info!(user_id = %s.user_id, "session ended: Twitch no longer accepts its token");
                    Ok(Checked::Ended)
                }
            }
        }
        Err(e) => {
            // Twitch being down is not the viewer's fault: the claim lapses and a later pass tries again.
            tracing::warn!(error = %e, "token validation deferred");
            Ok(Checked::Deferred)
        }
    }
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
            let owned = app.clone();
            crate::supervise::pass(&app.metrics, BackgroundLoop::TokenValidation, async move {
                match validate_due(&owned, max_age).await {
                    Ok(pass) if pass != Pass::default() => {
                        tracing::info!(?pass, "validated Twitch tokens")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "token validation pass failed"),
                }
            })
            .await;
            max_age = interval;
        }
    })
}
