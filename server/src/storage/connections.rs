use super::{Db, StorageError};

impl Db {
    /// Records that a streamer connected their channel with `scopes`.
    pub async fn connect_channel(&self, broadcaster_id: &str, scopes: &str, now: i64) -> Result<(), StorageError> {
        sqlx::query!(
            "INSERT INTO channel_connections (broadcaster_id, scopes, connected_at) VALUES (?, ?, ?)
             ON CONFLICT (broadcaster_id) DO UPDATE SET scopes = excluded.scopes, connected_at = excluded.connected_at",
            broadcaster_id,
            scopes,
            now
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a connection; true if there was one.
    pub async fn disconnect_channel(&self, broadcaster_id: &str) -> Result<bool, StorageError> {
        let done = sqlx::query!("DELETE FROM channel_connections WHERE broadcaster_id = ?", broadcaster_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The scopes a streamer granted, if they connected their channel.
    pub async fn channel_scopes(&self, broadcaster_id: &str) -> Result<Option<Vec<String>>, StorageError> {
        let row = sqlx::query!("SELECT scopes FROM channel_connections WHERE broadcaster_id = ?", broadcaster_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.scopes.split_whitespace().map(String::from).collect()))
    }

    /// Streamers sev listens to: those at least one viewer picked, or that lost their last viewer less than
    /// `grace_secs` ago, or that connected their channel.
    pub async fn listened_streamers(&self, now: i64, grace_secs: i64) -> Result<Vec<String>, StorageError> {
        let cutoff = now - grace_secs;
        let rows = sqlx::query!(
            r#"SELECT twitch_id AS "twitch_id!" FROM streamers s
               WHERE EXISTS (SELECT 1 FROM users u WHERE u.favorite_streamer_id = s.twitch_id)
                  OR (s.unwatched_since IS NOT NULL AND s.unwatched_since > ?)
               UNION
               SELECT broadcaster_id AS "twitch_id!" FROM channel_connections"#,
            cutoff
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.twitch_id).collect())
    }

    /// Starts the grace clock of streamers nobody picks any more, and stops it for those picked again.
    pub async fn mark_unwatched(&self, now: i64) -> Result<(), StorageError> {
        sqlx::query!(
            "UPDATE streamers SET unwatched_since = ?
             WHERE unwatched_since IS NULL
               AND EXISTS (SELECT 1 FROM eventsub_subscriptions e WHERE e.streamer_id = streamers.twitch_id)
               AND NOT EXISTS (SELECT 1 FROM users u WHERE u.favorite_streamer_id = streamers.twitch_id)",
            now
        )
        .execute(&self.pool)
        .await?;
        sqlx::query!(
            "UPDATE streamers SET unwatched_since = NULL
             WHERE unwatched_since IS NOT NULL
               AND EXISTS (SELECT 1 FROM users u WHERE u.favorite_streamer_id = streamers.twitch_id)"
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
