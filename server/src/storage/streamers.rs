use app::models::StreamerProfile;

use super::db::{Db, StorageError};

impl Db {
    /// Stores or refreshes a streamer's profile. A login can move to another account on Twitch, so an older
    /// holder of the same login gives it up first.
    pub async fn upsert_streamer(
        &self,
        s: &StreamerProfile,
        broadcaster_type: &str,
        now: i64,
    ) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: {
                let mut tx = p.begin().await?;
                sqlx::query!(
                    "UPDATE streamers SET login = '#' || twitch_id WHERE login = ? AND twitch_id <> ?",
                    s.login,
                    s.twitch_id
                )
                .execute(&mut *tx)
                .await?;
                sqlx::query!(
                    "INSERT INTO streamers (twitch_id, login, display_name, profile_image_url, broadcaster_type, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT (twitch_id) DO UPDATE SET login = excluded.login, display_name = excluded.display_name,
                         profile_image_url = excluded.profile_image_url, broadcaster_type = excluded.broadcaster_type,
                         updated_at = excluded.updated_at",
                    s.twitch_id,
                    s.login,
                    s.display_name,
                    s.profile_image_url,
                    broadcaster_type,
                    now
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            },
            postgres: {
                let mut tx = p.begin().await?;
                sqlx::query!(
                    "UPDATE streamers SET login = '#' || twitch_id WHERE login = $1 AND twitch_id <> $2",
                    s.login,
                    s.twitch_id
                )
                .execute(&mut *tx)
                .await?;
                sqlx::query!(
                    "INSERT INTO streamers (twitch_id, login, display_name, profile_image_url, broadcaster_type, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (twitch_id) DO UPDATE SET login = excluded.login, display_name = excluded.display_name,
                         profile_image_url = excluded.profile_image_url, broadcaster_type = excluded.broadcaster_type,
                         updated_at = excluded.updated_at",
                    s.twitch_id,
                    s.login,
                    s.display_name,
                    s.profile_image_url,
                    broadcaster_type,
                    now
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            },
        );
        Ok(())
    }

    /// A stored streamer by lower-case login.
    pub async fn streamer_by_login(&self, login: &str) -> Result<Option<StreamerProfile>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                StreamerProfile,
                "SELECT twitch_id, login, display_name, profile_image_url FROM streamers WHERE login = ?",
                login
            )
            .fetch_optional(p)
            .await?,
            postgres: sqlx::query_as!(
                StreamerProfile,
                "SELECT twitch_id, login, display_name, profile_image_url FROM streamers WHERE login = $1",
                login
            )
            .fetch_optional(p)
            .await?,
        ))
    }

    /// A stored streamer by lower-case login, if its profile was refreshed at or after `since`: fresh enough to
    /// skip asking Twitch again.
    pub async fn fresh_streamer_by_login(
        &self,
        login: &str,
        since: i64,
    ) -> Result<Option<StreamerProfile>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                StreamerProfile,
                "SELECT twitch_id, login, display_name, profile_image_url FROM streamers WHERE login = ? AND updated_at >= ?",
                login,
                since
            )
            .fetch_optional(p)
            .await?,
            postgres: sqlx::query_as!(
                StreamerProfile,
                "SELECT twitch_id, login, display_name, profile_image_url FROM streamers WHERE login = $1 AND updated_at >= $2",
                login,
                since
            )
            .fetch_optional(p)
            .await?,
        ))
    }
}
