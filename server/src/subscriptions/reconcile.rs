//! Reconciliation: make Twitch's list of subscriptions and sev's agree with what sev wants.

use std::collections::{BTreeMap, HashSet};

use twitch::TwitchError;
use twitch::eventsub::Subscription;
use twitch::eventsub::catalog::{self, SubscriptionSpec, condition_key};

use super::at_twitch::{delete_at_twitch, list_all};
use super::create::{Outcome, create, wanted_for};
use crate::state::AppState;
use crate::storage::{StorageError, SubKey, SubscriptionRow, SubscriptionStatus, now};

/// What one reconcile did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub kept: usize,
    pub created: usize,
    pub recreated: usize,
    pub orphans_deleted: usize,
    pub failed: usize,
}

impl Report {
    pub fn changed(&self) -> bool {
        self.created + self.recreated + self.orphans_deleted + self.failed > 0
    }
}

type Key = (String, String, String);

fn sub_key(key: &Key) -> SubKey<'_> {
    SubKey { kind: &key.0, version: &key.1, condition_key: &key.2 }
}

/// A subscription sev wants: its spec, the user in its condition, and its streamer (None for app-level).
struct Wanted {
    spec: &'static SubscriptionSpec,
    user_id: String,
    streamer_id: Option<String>,
}

async fn wanted(app: &AppState) -> Result<BTreeMap<Key, Wanted>, StorageError> {
    let now = now();
    app.db.mark_unwatched(now).await?;
    let grace = app.settings.subscription_grace.as_secs() as i64;
    let mut wanted = BTreeMap::new();
    let mut add = |spec: &'static SubscriptionSpec, user_id: &str, streamer_id: Option<&str>| {
        let key = (spec.kind.to_string(), spec.version.to_string(), condition_key(&spec.condition(user_id)));
        wanted.insert(key, Wanted { spec, user_id: user_id.into(), streamer_id: streamer_id.map(String::from) });
    };
    for streamer in app.db.listened_streamers(now, grace).await? {
        let granted = app.db.channel_scopes(&streamer).await?;
        for spec in wanted_for(granted.as_deref()) {
            add(spec, &streamer, Some(&streamer));
        }
    }
    add(&catalog::AUTHORIZATION_REVOKE, app.twitch.oauth().client_id(), None);
    Ok(wanted)
}

fn key_of(s: &Subscription) -> Key {
    (s.kind.clone(), s.version.clone(), condition_key(&s.condition))
}

fn is_at_twitch(status: &str) -> bool {
    SubscriptionStatus::from(status).is_at_twitch()
}

/// Why a reconcile pass stopped: Twitch's list could not be read, or storage failed. Kept apart so a log or a
/// caller can tell a Twitch outage from a database one.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("Twitch: {0}")]
    Twitch(#[from] TwitchError),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
}

/// Brings Twitch and storage in line with what sev wants.
pub async fn reconcile(app: &AppState) -> Result<Report, ReconcileError> {
    // The order matters while viewers keep picking streamers: Twitch's list first, then sev's rows, then what sev
    // wants. A subscription in the list was created after its streamer was picked, so the streamer is in `wanted`
    // and the subscription is kept; read the other way round, a pick landing mid-pass would lose its new
    // subscriptions as orphans.
    let ours = app.settings.callback();
    let listed_at = now();
    let listed: Vec<Subscription> =
        list_all(app).await?.into_iter().filter(|s| s.transport.callback.as_deref() == Some(ours.as_str())).collect();
    let rows: BTreeMap<Key, SubscriptionRow> = app
        .db
        .all_subscriptions()
        .await?
        .into_iter()
        .map(|r| ((r.kind.clone(), r.version.clone(), r.condition_key.clone()), r))
        .collect();
    let wanted = wanted(app).await?;

    let mut report = Report::default();
    let mut alive: HashSet<Key> = HashSet::new();
    for sub in &listed {
        let key = key_of(sub);
        let keep = wanted.contains_key(&key) && is_at_twitch(&sub.status) && !alive.contains(&key);
        if keep {
            alive.insert(key.clone());
            let row = rows.get(&key);
            if row.is_none_or(|r| r.twitch_id.as_deref() != Some(sub.id.as_str()) || r.status.as_str() != sub.status) {
                let w = &wanted[&key];
                // Record (adopt) it: claim a row if there is none, then store Twitch's id and status.
                if row.is_none() {
                    let condition = w.spec.condition(&w.user_id).to_string();
                    let _ = app.db.claim_subscription(w.streamer_id.as_deref(), sub_key(&key), &condition, now()).await;
                }
                app.db
                    .subscription_created(
                        sub_key(&key),
                        &sub.id,
                        &SubscriptionStatus::from(sub.status.as_str()),
                        sub.cost,
                        now(),
                    )
                    .await?;
            }
            report.kept += 1;
            continue;
        }
        // An orphan, a duplicate, or a dead subscription (failed or revoked): delete it at Twitch.
        if delete_at_twitch(app, Some(&sub.id)).await && !wanted.contains_key(&key) {
            report.orphans_deleted += 1;
        }
    }

    // Rows sev no longer wants go; wanted ones Twitch lacks are created (again).
    for (key, row) in &rows {
        if !wanted.contains_key(key) {
            app.db.delete_subscription_row(row.row_id).await?;
        }
    }
    for (key, w) in &wanted {
        if alive.contains(key) {
            continue;
        }
        let existed = rows.get(key);
        if let Some(row) = existed {
            let fresh_request = row.status == SubscriptionStatus::Requesting && row.updated_at > now() - 60;
            // A row changed since Twitch's list was read may be a subscription created meanwhile: the list cannot
            // tell, so it is left for the next pass rather than taken for missing.
            let newer_than_list = row.updated_at >= listed_at;
            if fresh_request || newer_than_list {
                continue;
            }
            if row.status.is_active() {
                // Storage thinks it is alive but Twitch does not have it.
                app.db
                    .subscription_failed(sub_key(key), &SubscriptionStatus::Missing, "not in Twitch's list", now())
                    .await?;
            }
        }
        match create(app, w.spec, &w.user_id, w.streamer_id.as_deref()).await? {
            Outcome::Created | Outcome::Adopted if existed.is_some() => report.recreated += 1,
            Outcome::Created | Outcome::Adopted => report.created += 1,
            Outcome::AlreadyThere => {}
            Outcome::QuotaExceeded(_) => {
                report.failed += 1;
                break;
            }
            Outcome::NotAuthorized | Outcome::Failed(_) => report.failed += 1,
        }
    }
    Ok(report)
}
