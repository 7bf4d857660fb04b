use super::db::{Db, StorageError};
use super::status::SubscriptionStatus;

/// A subscription sev keeps, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub row_id: i64,
    pub twitch_id: Option<String>,
    pub streamer_id: Option<String>,
    pub kind: String,
    pub version: String,
    pub condition_key: String,
    pub condition: String,
    pub status: SubscriptionStatus,
    pub cost: i64,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

/// What a subscription is: type, version and condition (in `condition_key` form). Twitch allows one live
/// subscription per key and callback, and so does sev.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubKey<'a> {
    pub kind: &'a str,
    pub version: &'a str,
    pub condition_key: &'a str,
}

impl Db {
    /// Claims the right to create a subscription: inserts it as `requesting`, or takes over a dead row (failed,
    /// revoked, refused). Returns false when another request already holds a live one, so that concurrent viewers
    /// picking the same streamer, on any instance, create it once.
    pub async fn claim_subscription(
        &self,
        streamer_id: Option<&str>,
        key: SubKey<'_>,
        condition: &str,
        now: i64,
    ) -> Result<bool, StorageError> {
        let SubKey { kind, version, condition_key } = key;
        // A `requesting` row older than a minute belongs to a request that died with its instance.
        let stale = now - 60;
        let claimed = per_db!(self, |p|
            sqlite: {
                let inserted = sqlx::query!(
                    "INSERT INTO eventsub_subscriptions (streamer_id, kind, version, condition_key, condition, status, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, 'requesting', ?, ?)
                     ON CONFLICT (kind, version, condition_key) DO NOTHING",
                    streamer_id,
                    kind,
                    version,
                    condition_key,
                    condition,
                    now,
                    now
                )
                .execute(p)
                .await?
                .rows_affected();
                inserted == 1
                    || sqlx::query!(
                        "UPDATE eventsub_subscriptions SET status = 'requesting', twitch_id = NULL, last_error = NULL, updated_at = ?
                         WHERE kind = ? AND version = ? AND condition_key = ?
                           AND (status NOT IN ('requesting', 'webhook_callback_verification_pending', 'enabled')
                                OR (status = 'requesting' AND updated_at < ?))",
                        now,
                        kind,
                        version,
                        condition_key,
                        stale
                    )
                    .execute(p)
                    .await?
                    .rows_affected()
                        == 1
            },
            postgres: {
                let inserted = sqlx::query!(
                    "INSERT INTO eventsub_subscriptions (streamer_id, kind, version, condition_key, condition, status, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, 'requesting', $6, $6)
                     ON CONFLICT (kind, version, condition_key) DO NOTHING",
                    streamer_id,
                    kind,
                    version,
                    condition_key,
                    condition,
                    now
                )
                .execute(p)
                .await?
                .rows_affected();
                inserted == 1
                    || sqlx::query!(
                        "UPDATE eventsub_subscriptions SET status = 'requesting', twitch_id = NULL, last_error = NULL, updated_at = $1
                         WHERE kind = $2 AND version = $3 AND condition_key = $4
                           AND (status NOT IN ('requesting', 'webhook_callback_verification_pending', 'enabled')
                                OR (status = 'requesting' AND updated_at < $5))",
                        now,
                        kind,
                        version,
                        condition_key,
                        stale
                    )
                    .execute(p)
                    .await?
                    .rows_affected()
                        == 1
            },
        );
        Ok(claimed)
    }

    /// Records what Twitch said about a subscription.
    pub async fn subscription_created(
        &self,
        key: SubKey<'_>,
        twitch_id: &str,
        status: &SubscriptionStatus,
        cost: i64,
        now: i64,
    ) -> Result<(), StorageError> {
        let status = status.as_str();
        let SubKey { kind, version, condition_key } = key;
        // A Twitch id can only belong to one row; an adopted id may sit on an older row. Both statements run in
        // one transaction, so the unique twitch_id never sees two holders.
        per_db!(self, |p|
            sqlite: {
                let mut tx = p.begin().await?;
                sqlx::query!(
                    "UPDATE eventsub_subscriptions SET twitch_id = NULL WHERE twitch_id = ? AND NOT (kind = ? AND version = ? AND condition_key = ?)",
                    twitch_id,
                    kind,
                    version,
                    condition_key
                )
                .execute(&mut *tx)
                .await?;
                sqlx::query!(
                    "UPDATE eventsub_subscriptions SET twitch_id = ?, status = ?, cost = ?, last_error = NULL, updated_at = ?
                     WHERE kind = ? AND version = ? AND condition_key = ?",
                    twitch_id,
                    status,
                    cost,
                    now,
                    kind,
                    version,
                    condition_key
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            },
            postgres: {
                let mut tx = p.begin().await?;
                sqlx::query!(
                    "UPDATE eventsub_subscriptions SET twitch_id = NULL WHERE twitch_id = $1 AND NOT (kind = $2 AND version = $3 AND condition_key = $4)",
                    twitch_id,
                    kind,
                    version,
                    condition_key
                )
                .execute(&mut *tx)
                .await?;
                sqlx::query!(
                    "UPDATE eventsub_subscriptions SET twitch_id = $1, status = $2, cost = $3, last_error = NULL, updated_at = $4
                     WHERE kind = $5 AND version = $6 AND condition_key = $7",
                    twitch_id,
                    status,
                    cost,
                    now,
                    kind,
                    version,
                    condition_key
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            },
        );
        Ok(())
    }

    /// Records that creating a subscription failed, and why.
    pub async fn subscription_failed(
        &self,
        key: SubKey<'_>,
        status: &SubscriptionStatus,
        error: &str,
        now: i64,
    ) -> Result<(), StorageError> {
        let status = status.as_str();
        let SubKey { kind, version, condition_key } = key;
        per_db!(self, |p|
            sqlite: sqlx::query!(
                "UPDATE eventsub_subscriptions SET status = ?, last_error = ?, updated_at = ?
                 WHERE kind = ? AND version = ? AND condition_key = ?",
                status,
                error,
                now,
                kind,
                version,
                condition_key
            )
            .execute(p)
            .await
            .map(drop)?,
            postgres: sqlx::query!(
                "UPDATE eventsub_subscriptions SET status = $1, last_error = $2, updated_at = $3
                 WHERE kind = $4 AND version = $5 AND condition_key = $6",
                status,
                error,
                now,
                kind,
                version,
                condition_key
            )
            .execute(p)
            .await
            .map(drop)?,
        );
        Ok(())
    }

    /// Sets the status of the subscription Twitch knows as `twitch_id`; returns the row if there is one.
    pub async fn subscription_status(
        &self,
        twitch_id: &str,
        status: &SubscriptionStatus,
        now: i64,
    ) -> Result<Option<SubscriptionRow>, StorageError> {
        let status = status.as_str();
        per_db!(self, |p|
            sqlite: sqlx::query!(
                "UPDATE eventsub_subscriptions SET status = ?, updated_at = ? WHERE twitch_id = ?",
                status,
                now,
                twitch_id
            )
            .execute(p)
            .await
            .map(drop)?,
            postgres: sqlx::query!(
                "UPDATE eventsub_subscriptions SET status = $1, updated_at = $2 WHERE twitch_id = $3",
                status,
                now,
                twitch_id
            )
            .execute(p)
            .await
            .map(drop)?,
        );
        self.subscription_by_twitch_id(twitch_id).await
    }

    pub async fn subscription_by_twitch_id(&self, twitch_id: &str) -> Result<Option<SubscriptionRow>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                SubscriptionRow,
                "SELECT row_id AS \"row_id!\", twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
                 FROM eventsub_subscriptions WHERE twitch_id = ?",
                twitch_id
            )
            .fetch_optional(p)
            .await?,
            postgres: sqlx::query_as!(
                SubscriptionRow,
                "SELECT row_id, twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
                 FROM eventsub_subscriptions WHERE twitch_id = $1",
                twitch_id
            )
            .fetch_optional(p)
            .await?,
        ))
    }

    pub async fn subscription_by_key(&self, key: SubKey<'_>) -> Result<Option<SubscriptionRow>, StorageError> {
        let SubKey { kind, version, condition_key } = key;
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                SubscriptionRow,
                "SELECT row_id AS \"row_id!\", twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
                 FROM eventsub_subscriptions WHERE kind = ? AND version = ? AND condition_key = ?",
                kind,
                version,
                condition_key
            )
            .fetch_optional(p)
            .await?,
            postgres: sqlx::query_as!(
                SubscriptionRow,
                "SELECT row_id, twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
                 FROM eventsub_subscriptions WHERE kind = $1 AND version = $2 AND condition_key = $3",
                kind,
                version,
                condition_key
            )
            .fetch_optional(p)
            .await?,
        ))
    }

    /// Every subscription sev keeps, for reconciliation and for operators.
    pub async fn all_subscriptions(&self) -> Result<Vec<SubscriptionRow>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                SubscriptionRow,
                "SELECT row_id AS \"row_id!\", twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
                 FROM eventsub_subscriptions ORDER BY row_id"
            )
            .fetch_all(p)
            .await?,
            postgres: sqlx::query_as!(
                SubscriptionRow,
                "SELECT row_id, twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
                 FROM eventsub_subscriptions ORDER BY row_id"
            )
            .fetch_all(p)
            .await?,
        ))
    }

    pub async fn subscriptions_of(&self, streamer_id: &str) -> Result<Vec<SubscriptionRow>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                SubscriptionRow,
                "SELECT row_id AS \"row_id!\", twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
                 FROM eventsub_subscriptions WHERE streamer_id = ? ORDER BY row_id",
                streamer_id
            )
            .fetch_all(p)
            .await?,
            postgres: sqlx::query_as!(
                SubscriptionRow,
                "SELECT row_id, twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
                 FROM eventsub_subscriptions WHERE streamer_id = $1 ORDER BY row_id",
                streamer_id
            )
            .fetch_all(p)
            .await?,
        ))
    }

    pub async fn delete_subscription_row(&self, row_id: i64) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: sqlx::query!("DELETE FROM eventsub_subscriptions WHERE row_id = ?", row_id)
                .execute(p)
                .await
                .map(drop)?,
            postgres: sqlx::query!("DELETE FROM eventsub_subscriptions WHERE row_id = $1", row_id)
                .execute(p)
                .await
                .map(drop)?,
        );
        Ok(())
    }

    /// How many subscriptions have each status, for metrics.
    pub async fn subscription_status_counts(&self) -> Result<Vec<(String, i64)>, StorageError> {
        let rows = per_db!(self, |p|
            sqlite: sqlx::query_as!(
                StatusCount,
                r#"SELECT status, COUNT(*) AS "n!: i64" FROM eventsub_subscriptions GROUP BY status ORDER BY status"#
            )
            .fetch_all(p)
            .await?,
            postgres: sqlx::query_as!(
                StatusCount,
                r#"SELECT status, COUNT(*) AS "n!: i64" FROM eventsub_subscriptions GROUP BY status ORDER BY status -- postgres"#
            )
            .fetch_all(p)
            .await?,
        );
        Ok(rows.into_iter().map(|r| (r.status, r.n)).collect())
    }
}

struct StatusCount {
    status: String,
    n: i64,
}
