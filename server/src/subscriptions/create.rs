//! Creating one subscription, and what Twitch's answers mean.

use twitch::TwitchError;
use twitch::eventsub::catalog::{STREAMER_SUBSCRIPTIONS, SubscriptionSpec, condition_key};
use twitch::eventsub::subscriptions::NewSubscription;

use crate::state::AppState;
use crate::storage::{StorageError, SubKey, SubscriptionStatus, now};

/// How a create went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// Twitch already had it (409): sev took it over.
    Adopted,
    /// Another request holds it, alive.
    AlreadyThere,
    QuotaExceeded(String),
    NotAuthorized,
    Failed(String),
}

/// Creates `spec` on `user_id`, unless it exists. `streamer_id` is `None` for app-level subscriptions.
pub async fn create(
    app: &AppState,
    spec: &SubscriptionSpec,
    user_id: &str,
    streamer_id: Option<&str>,
) -> Result<Outcome, StorageError> {
    let condition = spec.condition(user_id);
    let condition_text = condition.to_string();
    let cond = condition_key(&condition);
    let key = SubKey { kind: spec.kind, version: spec.version, condition_key: &cond };
    if !app.db.claim_subscription(streamer_id, key, &condition_text, now()).await? {
        return Ok(Outcome::AlreadyThere);
    }
    let callback = app.settings.callback();
    let secret = app.keys.eventsub.expose();
    let new = NewSubscription { kind: spec.kind, version: spec.version, condition, callback: &callback, secret };
    let result = app
        .twitch
        .with_app_token(|token| {
            let new = new.clone();
            async move { app.twitch.helix().create_subscription(&token, &new).await }
        })
        .await;
    let db = &app.db;
    match result {
        Ok(page) => {
            let Some(sub) = page.data.first() else {
                db.subscription_failed(key, &SubscriptionStatus::CreateFailed, "empty answer", now()).await?;
                return Ok(Outcome::Failed("Twitch's answer named no subscription".into()));
            };
            db.subscription_created(key, &sub.id, &SubscriptionStatus::from(sub.status.as_str()), sub.cost, now())
                .await?;
            tracing::info!(kind = spec.kind, condition = %cond, cost = sub.cost, total_cost = page.total_cost,
                max_total_cost = page.max_total_cost, "created an EventSub subscription");
            Ok(Outcome::Created)
        }
        Err(TwitchError::Rejected { status: 409, .. }) => adopt(app, key, &callback).await,
        Err(TwitchError::RateLimited { bucket_empty: true, .. }) => {
            let message = "Twitch asked sev to slow down, so some events of this streamer start a few minutes late.";
            tracing::warn!(kind = spec.kind, condition = %cond, "Helix rate limit reached; retried at the next reconcile");
            db.subscription_failed(key, &SubscriptionStatus::RateLimited, message, now()).await?;
            Ok(Outcome::QuotaExceeded(message.into()))
        }
        Err(TwitchError::RateLimited { .. }) => {
            let message = "Twitch's subscription limit for sev is reached, so some events of this streamer cannot \
                           be received right now. The operator has been told.";
            tracing::warn!(kind = spec.kind, condition = %cond, "EventSub quota reached (max_total_cost or too many of one type and condition)");
            db.subscription_failed(key, &SubscriptionStatus::QuotaExceeded, message, now()).await?;
            Ok(Outcome::QuotaExceeded(message.into()))
        }
        Err(TwitchError::Rejected { status: 403, message }) => {
            tracing::info!(kind = spec.kind, condition = %cond, "EventSub subscription not authorized");
            db.subscription_failed(key, &SubscriptionStatus::NotAuthorized, &message, now()).await?;
            Ok(Outcome::NotAuthorized)
        }
        Err(e) => {
            tracing::warn!(error = %e, kind = spec.kind, condition = %cond, "cannot create an EventSub subscription");
            db.subscription_failed(key, &SubscriptionStatus::CreateFailed, &e.to_string(), now()).await?;
            Ok(Outcome::Failed(e.to_string()))
        }
    }
}

/// After a 409: find the live subscription Twitch has and record it as ours.
async fn adopt(app: &AppState, key: SubKey<'_>, callback: &str) -> Result<Outcome, StorageError> {
    let listed = super::at_twitch::list_all(app).await;
    let found = listed.ok().and_then(|subs| {
        subs.into_iter().find(|s| {
            s.kind == key.kind
                && s.version == key.version
                && condition_key(&s.condition) == key.condition_key
                && s.transport.callback.as_deref() == Some(callback)
                && SubscriptionStatus::from(s.status.as_str()).is_at_twitch()
        })
    });
    match found {
        Some(sub) => {
            app.db
                .subscription_created(key, &sub.id, &SubscriptionStatus::from(sub.status.as_str()), sub.cost, now())
                .await?;
            tracing::info!(kind = key.kind, condition = key.condition_key, "adopted an existing EventSub subscription");
            Ok(Outcome::Adopted)
        }
        None => {
            let why = "Twitch says it exists but does not list it";
            app.db.subscription_failed(key, &SubscriptionStatus::CreateFailed, why, now()).await?;
            Ok(Outcome::Failed(why.into()))
        }
    }
}

/// The subscriptions a streamer should have, given the scopes they granted (if they connected their channel).
pub fn wanted_for(granted: Option<&[String]>) -> Vec<&'static SubscriptionSpec> {
    STREAMER_SUBSCRIPTIONS
        .iter()
        .filter(|spec| !spec.needs_authorization() || granted.is_some_and(|g| spec.authorized_by(g)))
        .collect()
}
