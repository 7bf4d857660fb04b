use app::models::{StreamerProfile, Viewer};

use super::db::{Db, StorageError};

/// A viewer's Twitch identity, as stored at sign-in.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub twitch_id: String,
    pub login: String,
    pub display_name: String,
    pub profile_image_url: String,
}

impl Db {
    /// Stores a viewer, refreshing their name and avatar if they signed in before. The favorite is kept.
    pub async fn upsert_user(&self, u: &UserRecord, now: i64) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: sqlx::query!(
                "INSERT INTO users (twitch_id, login, display_name, profile_image_url, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (twitch_id) DO UPDATE SET login = excluded.login, display_name = excluded.display_name,
                     profile_image_url = excluded.profile_image_url, updated_at = excluded.updated_at",
                u.twitch_id,
                u.login,
                u.display_name,
                u.profile_image_url,
                now,
                now
            )
            .execute(p)
            .await
            .map(drop)?,
            postgres: sqlx::query!(
                "INSERT INTO users (twitch_id, login, display_name, profile_image_url, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5)
                 ON CONFLICT (twitch_id) DO UPDATE SET login = excluded.login, display_name = excluded.display_name,
                     profile_image_url = excluded.profile_image_url, updated_at = excluded.updated_at",
                u.twitch_id,
                u.login,
                u.display_name,
                u.profile_image_url,
                now
            )
            .execute(p)
            .await
            .map(drop)?,
        );
        Ok(())
    }

    /// Makes `streamer_id` the viewer's favorite. The streamer must be stored already.
    pub async fn set_favorite(&self, user_id: &str, streamer_id: &str, now: i64) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: sqlx::query!(
                "UPDATE users SET favorite_streamer_id = ?, updated_at = ? WHERE twitch_id = ?",
                streamer_id,
                now,
                user_id
            )
            .execute(p)
            .await
            .map(drop)?,
            postgres: sqlx::query!(
                "UPDATE users SET favorite_streamer_id = $1, updated_at = $2 WHERE twitch_id = $3",
                streamer_id,
                now,
                user_id
            )
            .execute(p)
            .await
            .map(drop)?,
        );
        Ok(())
    }

    /// The viewer behind a live session, with their favorite.
    pub async fn viewer_for_session(&self, id_hash: &str, now: i64) -> Result<Option<Viewer>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                ViewerRow,
                r#"SELECT u.twitch_id AS "twitch_id!", u.login AS "login!", u.display_name AS "display_name!",
                          u.profile_image_url AS "profile_image_url!",
                          s.twitch_id AS "fav_id?", s.login AS "fav_login?", s.display_name AS "fav_name?",
                          s.profile_image_url AS "fav_image?"
                   FROM sessions se
                   JOIN users u ON u.twitch_id = se.user_id
                   LEFT JOIN streamers s ON s.twitch_id = u.favorite_streamer_id
                   WHERE se.id_hash = ? AND se.expires_at > ?"#,
                id_hash,
                now
            )
            .fetch_optional(p)
            .await?,
            postgres: sqlx::query_as!(
                ViewerRow,
                r#"SELECT u.twitch_id AS "twitch_id!", u.login AS "login!", u.display_name AS "display_name!",
                          u.profile_image_url AS "profile_image_url!",
                          s.twitch_id AS "fav_id?", s.login AS "fav_login?", s.display_name AS "fav_name?",
                          s.profile_image_url AS "fav_image?"
                   FROM sessions se
                   JOIN users u ON u.twitch_id = se.user_id
                   LEFT JOIN streamers s ON s.twitch_id = u.favorite_streamer_id
                   WHERE se.id_hash = $1 AND se.expires_at > $2"#,
                id_hash,
                now
            )
            .fetch_optional(p)
            .await?,
        )
        .map(Viewer::from))
    }
}

/// A viewer and their favorite, as one joined row.
struct ViewerRow {
    twitch_id: String,
    login: String,
    display_name: String,
    profile_image_url: String,
    fav_id: Option<String>,
    fav_login: Option<String>,
    fav_name: Option<String>,
    fav_image: Option<String>,
}

impl From<ViewerRow> for Viewer {
    fn from(r: ViewerRow) -> Self {
        Viewer {
            twitch_id: r.twitch_id,
            login: r.login,
            display_name: r.display_name,
            profile_image_url: r.profile_image_url,
            favorite: match (r.fav_id, r.fav_login, r.fav_name, r.fav_image) {
                (Some(twitch_id), Some(login), Some(display_name), Some(profile_image_url)) => {
                    Some(StreamerProfile { twitch_id, login, display_name, profile_image_url })
                }
                _ => None,
            },
        }
    }
}
