use super::{Db, StorageError};

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
    pub status: String,
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

/// Statuses under which a subscription is alive or about to be: it must not be created again.
pub const LIVE_STATUSES: [&str; 3] = ["requesting", "webhook_callback_verification_pending", "enabled"];

impl Db {
    /// Claims the right to create a subscription: inserts it as `requesting`, or takes over a dead row (failed,
    /// revoked, refused). Returns false when another request already holds a live one, so that concurrent viewers
    /// picking the same streamer create it once.
    pub async fn claim_subscription(
        &self,
        streamer_id: Option<&str>,
        key: SubKey<'_>,
        condition: &str,
        now: i64,
    ) -> Result<bool, StorageError> {
        let SubKey { kind, version, condition_key } = key;
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
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(true);
        }
        // A `requesting` row older than a minute belongs to a request that died with its instance.
        let stale = now - 60;
        let taken = sqlx::query!(
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
        .execute(&self.pool)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Records what Twitch said about a subscription.
    pub async fn subscription_created(
        &self,
        key: SubKey<'_>,
        twitch_id: &str,
        status: &str,
        cost: i64,
        now: i64,
    ) -> Result<(), StorageError> {
        let SubKey { kind, version, condition_key } = key;
        // A Twitch id can only belong to one row; an adopted id may sit on an older row.
        sqlx::query!(
            "UPDATE eventsub_subscriptions SET twitch_id = NULL WHERE twitch_id = ? AND NOT (kind = ? AND version = ? AND condition_key = ?)",
            twitch_id,
            kind,
            version,
            condition_key
        )
        .execute(&self.pool)
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that creating a subscription failed, and why.
    pub async fn subscription_failed(
        &self,
        key: SubKey<'_>,
        status: &str,
        error: &str,
        now: i64,
    ) -> Result<(), StorageError> {
        let SubKey { kind, version, condition_key } = key;
        sqlx::query!(
            "UPDATE eventsub_subscriptions SET status = ?, last_error = ?, updated_at = ?
             WHERE kind = ? AND version = ? AND condition_key = ?",
            status,
            error,
            now,
            kind,
            version,
            condition_key
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets the status of the subscription Twitch knows as `twitch_id`; returns the row if there is one.
    pub async fn subscription_status(
        &self,
        twitch_id: &str,
        status: &str,
        now: i64,
    ) -> Result<Option<SubscriptionRow>, StorageError> {
        sqlx::query!(
            "UPDATE eventsub_subscriptions SET status = ?, updated_at = ? WHERE twitch_id = ?",
            status,
            now,
            twitch_id
        )
        .execute(&self.pool)
        .await?;
        self.subscription_by_twitch_id(twitch_id).await
    }

    pub async fn subscription_by_twitch_id(&self, twitch_id: &str) -> Result<Option<SubscriptionRow>, StorageError> {
        Ok(sqlx::query_as!(
            SubscriptionRow,
            "SELECT row_id AS \"row_id!\", twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
             FROM eventsub_subscriptions WHERE twitch_id = ?",
            twitch_id
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn subscription_by_key(&self, key: SubKey<'_>) -> Result<Option<SubscriptionRow>, StorageError> {
        let SubKey { kind, version, condition_key } = key;
        Ok(sqlx::query_as!(
            SubscriptionRow,
            "SELECT row_id AS \"row_id!\", twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
             FROM eventsub_subscriptions WHERE kind = ? AND version = ? AND condition_key = ?",
            kind,
            version,
            condition_key
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every subscription sev keeps, for reconciliation and for operators.
    pub async fn all_subscriptions(&self) -> Result<Vec<SubscriptionRow>, StorageError> {
        Ok(sqlx::query_as!(
            SubscriptionRow,
            "SELECT row_id AS \"row_id!\", twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
             FROM eventsub_subscriptions ORDER BY row_id"
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn subscriptions_of(&self, streamer_id: &str) -> Result<Vec<SubscriptionRow>, StorageError> {
        Ok(sqlx::query_as!(
            SubscriptionRow,
            "SELECT row_id AS \"row_id!\", twitch_id, streamer_id, kind, version, condition_key, condition, status, cost, last_error, updated_at
             FROM eventsub_subscriptions WHERE streamer_id = ? ORDER BY row_id",
            streamer_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn delete_subscription_row(&self, row_id: i64) -> Result<(), StorageError> {
        sqlx::query!("DELETE FROM eventsub_subscriptions WHERE row_id = ?", row_id).execute(&self.pool).await?;
        Ok(())
    }

    /// How many subscriptions have each status, for metrics.
    pub async fn subscription_status_counts(&self) -> Result<Vec<(String, i64)>, StorageError> {
        let rows = sqlx::query!(
            r#"SELECT status, COUNT(*) AS "n!: i64" FROM eventsub_subscriptions GROUP BY status ORDER BY status"#
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.status, r.n)).collect())
    }
}
