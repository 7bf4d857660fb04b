use super::db::{Db, StorageError};

impl Db {
    /// Records that a streamer connected their channel with `scopes`.
    pub async fn connect_channel(&self, broadcaster_id: &str, scopes: &str, now: i64) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: sqlx::query!(
                "INSERT INTO channel_connections (broadcaster_id, scopes, connected_at) VALUES (?, ?, ?)
                 ON CONFLICT (broadcaster_id) DO UPDATE SET scopes = excluded.scopes, connected_at = excluded.connected_at",
                broadcaster_id,
                scopes,
                now
            )
            .execute(p)
            .await
            .map(drop)?,
            postgres: sqlx::query!(
                "INSERT INTO channel_connections (broadcaster_id, scopes, connected_at) VALUES ($1, $2, $3)
                 ON CONFLICT (broadcaster_id) DO UPDATE SET scopes = excluded.scopes, connected_at = excluded.connected_at",
                broadcaster_id,
                scopes,
                now
            )
            .execute(p)
            .await
            .map(drop)?,
        );
        Ok(())
    }

    /// Forgets a connection; true if there was one.
    pub async fn disconnect_channel(&self, broadcaster_id: &str) -> Result<bool, StorageError> {
        let deleted = per_db!(self, |p|
            sqlite: sqlx::query!("DELETE FROM channel_connections WHERE broadcaster_id = ?", broadcaster_id)
                .execute(p)
                .await?
                .rows_affected(),
            postgres: sqlx::query!("DELETE FROM channel_connections WHERE broadcaster_id = $1", broadcaster_id)
                .execute(p)
                .await?
                .rows_affected(),
        );
        Ok(deleted > 0)
    }

    /// The scopes a streamer granted, if they connected their channel.
    pub async fn channel_scopes(&self, broadcaster_id: &str) -> Result<Option<Vec<String>>, StorageError> {
        let scopes = per_db!(self, |p|
            sqlite: sqlx::query_scalar!("SELECT scopes FROM channel_connections WHERE broadcaster_id = ?", broadcaster_id)
                .fetch_optional(p)
                .await?,
            postgres: sqlx::query_scalar!("SELECT scopes FROM channel_connections WHERE broadcaster_id = $1", broadcaster_id)
                .fetch_optional(p)
                .await?,
        );
        Ok(scopes.map(|s| s.split_whitespace().map(String::from).collect()))
    }

    /// Streamers sev listens to: those at least one viewer picked, or that lost their last viewer less than
    /// `grace_secs` ago, or that connected their channel.
    pub async fn listened_streamers(&self, now: i64, grace_secs: i64) -> Result<Vec<String>, StorageError> {
        let cutoff = now - grace_secs;
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_scalar!(
                r#"SELECT twitch_id AS "twitch_id!" FROM streamers s
                   WHERE EXISTS (SELECT 1 FROM users u WHERE u.favorite_streamer_id = s.twitch_id)
                      OR (s.unwatched_since IS NOT NULL AND s.unwatched_since > ?)
                   UNION
                   SELECT broadcaster_id AS "twitch_id!" FROM channel_connections"#,
                cutoff
            )
            .fetch_all(p)
            .await?,
            postgres: sqlx::query_scalar!(
                r#"SELECT twitch_id AS "twitch_id!" FROM streamers s
                   WHERE EXISTS (SELECT 1 FROM users u WHERE u.favorite_streamer_id = s.twitch_id)
                      OR (s.unwatched_since IS NOT NULL AND s.unwatched_since > $1)
                   UNION
                   SELECT broadcaster_id AS "twitch_id!" FROM channel_connections"#,
                cutoff
            )
            .fetch_all(p)
            .await?,
        ))
    }

    /// Starts the grace clock of streamers nobody picks any more, and stops it for those picked again.
    pub async fn mark_unwatched(&self, now: i64) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: {
                sqlx::query!(
                    "UPDATE streamers SET unwatched_since = ?
                     WHERE unwatched_since IS NULL
                       AND EXISTS (SELECT 1 FROM eventsub_subscriptions e WHERE e.streamer_id = streamers.twitch_id)
                       AND NOT EXISTS (SELECT 1 FROM users u WHERE u.favorite_streamer_id = streamers.twitch_id)",
                    now
                )
                .execute(p)
                .await?;
                sqlx::query!(
                    "UPDATE streamers SET unwatched_since = NULL
                     WHERE unwatched_since IS NOT NULL
                       AND EXISTS (SELECT 1 FROM users u WHERE u.favorite_streamer_id = streamers.twitch_id)"
                )
                .execute(p)
                .await?;
            },
            postgres: {
                sqlx::query!(
                    "UPDATE streamers SET unwatched_since = $1
                     WHERE unwatched_since IS NULL
                       AND EXISTS (SELECT 1 FROM eventsub_subscriptions e WHERE e.streamer_id = streamers.twitch_id)
                       AND NOT EXISTS (SELECT 1 FROM users u WHERE u.favorite_streamer_id = streamers.twitch_id)",
                    now
                )
                .execute(p)
                .await?;
                // Spelled apart from SQLite's twin (same text otherwise): sqlx keys its offline data by the text.
                sqlx::query!(
                    "UPDATE streamers SET unwatched_since = NULL
                     WHERE unwatched_since IS NOT NULL
                       AND EXISTS (SELECT 1 FROM users u WHERE u.favorite_streamer_id = streamers.twitch_id) -- postgres"
                )
                .execute(p)
                .await?;
            },
        );
        Ok(())
    }
}
