//! Keeping EventSub subscriptions: one shared set per listened streamer, whatever the number of viewers.
//!
//! - [`ensure_streamer`] creates what a streamer lacks, when a viewer picks them or they connect their channel.
//! - [`reconcile`] compares with Twitch's own list (every page) at start-up and periodically: it adopts what
//!   exists, re-creates what failed or was revoked, and deletes orphans and the subscriptions of streamers nobody
//!   has picked for the grace period.
//! - Quota problems (`max_total_cost`, 429) are recorded on the subscription and shown to viewers; they are never
//!   retried in a loop: the next reconcile is the next attempt.

mod at_twitch;
mod create;
mod reconcile;

use std::time::Duration;

use twitch::eventsub::catalog;

use crate::lease::{Leased, run_leased};
use crate::metrics::BackgroundLoop;
use crate::state::AppState;
use crate::storage::{StorageError, SubscriptionRow, SubscriptionStatus, now};

use at_twitch::delete_at_twitch;

pub use create::{Outcome, wanted_for};
pub use reconcile::{ReconcileError, Report, reconcile};

/// What creating a streamer's set came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Ensured {
    pub created: usize,
    pub adopted: usize,
    pub already: usize,
    /// A message for viewers when Twitch refused for lack of quota.
    pub quota_problem: Option<String>,
    pub failed: usize,
}

/// Creates whatever the streamer's set lacks. Safe to call from many viewers at once: each subscription is
/// claimed in the database before it is created, so it is created once.
pub async fn ensure_streamer(app: &AppState, streamer_id: &str) -> Result<Ensured, StorageError> {
    let granted = app.db.channel_scopes(streamer_id).await?;
    let mut ensured = Ensured::default();
    for spec in wanted_for(granted.as_deref()) {
        match create::create(app, spec, streamer_id, Some(streamer_id)).await? {
            Outcome::Created => ensured.created += 1,
            Outcome::Adopted => ensured.adopted += 1,
            Outcome::AlreadyThere => ensured.already += 1,
            Outcome::QuotaExceeded(message) => {
                ensured.quota_problem = Some(message);
                // The remaining ones would be refused too; do not hammer Twitch.
                break;
            }
            Outcome::NotAuthorized | Outcome::Failed(_) => ensured.failed += 1,
        }
    }
    Ok(ensured)
}

/// Makes sure Twitch tells sev when a streamer disconnects it.
pub async fn ensure_app_subscriptions(app: &AppState) -> Result<Outcome, StorageError> {
    let client_id = app.twitch.oauth().client_id().to_string();
    create::create(app, &catalog::AUTHORIZATION_REVOKE, &client_id, None).await
}

/// A streamer disconnected sev (or revoked its scopes): forget the connection and drop the subscriptions that
/// needed it. Twitch revokes those itself; deleting them keeps both lists tidy.
pub async fn channel_disconnected(app: &AppState, broadcaster_id: &str) {
    match app.db.disconnect_channel(broadcaster_id).await {
        Ok(true) => tracing::info!(broadcaster_id, "streamer disconnected their channel"),
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "cannot forget a channel connection"),
    }
    if let Err(e) = drop_subscriptions(app, broadcaster_id, true).await {
        tracing::error!(error = %e, "cannot drop the subscriptions of a disconnected channel");
    }
}

/// Deletes a streamer's subscriptions at Twitch and in storage: all of them, or only those needing authorization.
pub async fn drop_subscriptions(
    app: &AppState,
    streamer_id: &str,
    only_authorized: bool,
) -> Result<usize, StorageError> {
    let mut dropped = 0;
    for row in app.db.subscriptions_of(streamer_id).await? {
        let needs_auth = catalog::find(&row.kind, &row.version).is_some_and(|s| s.needs_authorization());
        if only_authorized && !needs_auth {
            continue;
        }
        if delete_at_twitch(app, row.twitch_id.as_deref()).await {
            app.db.delete_subscription_row(row.row_id).await?;
            dropped += 1;
        }
    }
    Ok(dropped)
}

/// What to do once Twitch revoked a subscription.
pub async fn after_revocation(app: &AppState, row: SubscriptionRow) {
    let needs_auth = catalog::find(&row.kind, &row.version).is_some_and(|s| s.needs_authorization());
    match (&row.status, row.streamer_id.as_deref()) {
        (SubscriptionStatus::AuthorizationRevoked, Some(streamer)) if needs_auth => {
            channel_disconnected(app, streamer).await
        }
        // The streamer's account is gone, or the type was retired: nothing to re-create.
        (SubscriptionStatus::UserRemoved | SubscriptionStatus::VersionRemoved, _) => {
            tracing::warn!(kind = %row.kind, status = %row.status, "subscription will not be re-created");
        }
        // Delivery failures or maintenance: sev can take events again, so ask for the subscription again.
        (_, Some(streamer)) => match ensure_streamer(app, streamer).await {
            Ok(e) => tracing::info!(?e, streamer, "re-created subscriptions after a revocation"),
            Err(e) => tracing::error!(error = %e, "cannot re-create subscriptions"),
        },
        (_, None) => {
            if let Err(e) = ensure_app_subscriptions(app).await {
                tracing::error!(error = %e, "cannot re-create the app subscription");
            }
        }
    }
}

/// The lease that makes one instance at a time reconcile, so instances never fight over Twitch's subscriptions.
const RECONCILE_LEASE: &str = "reconcile";

/// Gives the reconcile lease up when this instance stops.
pub async fn release_lease(app: &AppState) {
    if let Err(e) = app.db.release_lease(RECONCILE_LEASE, &app.instance_id).await {
        tracing::warn!(error = %e, "cannot release the reconcile lease");
    }
}

/// Reconciles if this instance holds (or can take) the reconcile lease; `None` when another instance does, or
/// took it over while this pass ran.
pub async fn reconcile_if_leader(app: &AppState) -> Result<Option<Report>, ReconcileError> {
    // A leader that dies is replaced within an interval and a half-minute; one that stops cleanly releases the
    // lease (see `release_lease`). A long pass renews it as it goes.
    let term = app.settings.reconcile_interval + Duration::from_secs(30);
    let outcome = run_leased(&app.db, RECONCILE_LEASE, &app.instance_id, term, reconcile(app)).await?;
    match outcome {
        Leased::Done(report) => report.map(Some),
        Leased::Elsewhere | Leased::Lost => Ok(None),
    }
}

/// Reconciles at start-up and then every `interval`, on whichever instance holds the lease.
pub fn spawn(app: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(app.settings.reconcile_interval.max(Duration::from_secs(1)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let owned = app.clone();
            crate::supervise::pass(&app.metrics, BackgroundLoop::Reconcile, async move {
                match reconcile_if_leader(&owned).await {
                    Ok(Some(report)) if report.changed() => {
                        tracing::info!(?report, "reconciled EventSub subscriptions")
                    }
                    Ok(Some(_)) => tracing::debug!("EventSub subscriptions are as they should be"),
                    Ok(None) => tracing::debug!("another instance reconciles"),
                    Err(e) => tracing::warn!(error = %e, "EventSub reconcile failed; it runs again next interval"),
                }
                let _ = owned.db.purge_messages(now() - 3600).await;
            })
            .await;
        }
    })
}
