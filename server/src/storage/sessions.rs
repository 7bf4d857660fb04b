use std::fmt;

use super::db::{Db, StorageError};

/// A stored session. `Debug` hides the tokens.
#[derive(Clone)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub validated_at: i64,
}

impl fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecord")
            .field("user_id", &self.user_id)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("validated_at", &self.validated_at)
            .finish_non_exhaustive()
    }
}

impl Db {
    pub async fn insert_session(&self, s: &SessionRecord) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: sqlx::query!(
                "INSERT INTO sessions (id_hash, user_id, access_token, refresh_token, scopes, created_at, expires_at, validated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                s.id_hash,
                s.user_id,
                s.access_token,
                s.refresh_token,
                s.scopes,
                s.created_at,
                s.expires_at,
                s.validated_at
            )
            .execute(p)
            .await
            .map(drop)?,
            postgres: sqlx::query!(
                "INSERT INTO sessions (id_hash, user_id, access_token, refresh_token, scopes, created_at, expires_at, validated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                s.id_hash,
                s.user_id,
                s.access_token,
                s.refresh_token,
                s.scopes,
                s.created_at,
                s.expires_at,
                s.validated_at
            )
            .execute(p)
            .await
            .map(drop)?,
        );
        Ok(())
    }

    /// Ends a session and returns it, so its token can be revoked.
    pub async fn delete_session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                SessionRecord,
                "DELETE FROM sessions WHERE id_hash = ?
                 RETURNING id_hash, user_id, access_token, refresh_token, scopes, created_at, expires_at, validated_at",
                id_hash
            )
            .fetch_optional(p)
            .await?,
            postgres: sqlx::query_as!(
                SessionRecord,
                "DELETE FROM sessions WHERE id_hash = $1
                 RETURNING id_hash, user_id, access_token, refresh_token, scopes, created_at, expires_at, validated_at",
                id_hash
            )
            .fetch_optional(p)
            .await?,
        ))
    }

    /// Claims up to `limit` live sessions last validated at or before `due_before`, oldest first, by moving their
    /// `validated_at` to `retry_at`, and returns them. Instances sharing the database claim disjoint sessions, so
    /// each token is checked once however many instances run; a claim whose check never finishes (Twitch down, the
    /// instance gone) falls due again once `retry_at` is old enough.
    pub async fn claim_sessions_for_validation(
        &self,
        due_before: i64,
        retry_at: i64,
        now: i64,
        limit: i64,
    ) -> Result<Vec<SessionRecord>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                SessionRecord,
                "UPDATE sessions SET validated_at = ?
                 WHERE id_hash IN (SELECT id_hash FROM sessions WHERE validated_at <= ? AND expires_at > ?
                                   ORDER BY validated_at LIMIT ?)
                 RETURNING id_hash, user_id, access_token, refresh_token, scopes, created_at, expires_at, validated_at",
                retry_at,
                due_before,
                now,
                limit
            )
            .fetch_all(p)
            .await?,
            // SKIP LOCKED lets concurrent claims pass each other's rows; the outer re-check drops a row another
            // instance claimed between the scan and the update.
            postgres: sqlx::query_as!(
                SessionRecord,
                "UPDATE sessions SET validated_at = $1
                 WHERE id_hash IN (SELECT id_hash FROM sessions WHERE validated_at <= $2 AND expires_at > $3
                                   ORDER BY validated_at LIMIT $4 FOR UPDATE SKIP LOCKED)
                   AND validated_at <= $2
                 RETURNING id_hash, user_id, access_token, refresh_token, scopes, created_at, expires_at, validated_at",
                retry_at,
                due_before,
                now,
                limit
            )
            .fetch_all(p)
            .await?,
        ))
    }

    /// Records a successful validation, with new tokens when they were refreshed.
    pub async fn session_validated(
        &self,
        id_hash: &str,
        access_token: &str,
        refresh_token: Option<&str>,
        now: i64,
    ) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: sqlx::query!(
                "UPDATE sessions SET access_token = ?, refresh_token = ?, validated_at = ? WHERE id_hash = ?",
                access_token,
                refresh_token,
                now,
                id_hash
            )
            .execute(p)
            .await
            .map(drop)?,
            postgres: sqlx::query!(
                "UPDATE sessions SET access_token = $1, refresh_token = $2, validated_at = $3 WHERE id_hash = $4",
                access_token,
                refresh_token,
                now,
                id_hash
            )
            .execute(p)
            .await
            .map(drop)?,
        );
        Ok(())
    }

    /// Ends every session of one viewer (who withdrew sev's access at Twitch); returns how many there were.
    pub async fn delete_sessions_of(&self, user_id: &str) -> Result<u64, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query!("DELETE FROM sessions WHERE user_id = ?", user_id).execute(p).await?.rows_affected(),
            postgres: sqlx::query!("DELETE FROM sessions WHERE user_id = $1", user_id).execute(p).await?.rows_affected(),
        ))
    }

    /// Forgets sessions past their lifetime.
    pub async fn purge_sessions(&self, now: i64) -> Result<u64, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query!("DELETE FROM sessions WHERE expires_at <= ?", now).execute(p).await?.rows_affected(),
            postgres: sqlx::query!("DELETE FROM sessions WHERE expires_at <= $1", now).execute(p).await?.rows_affected(),
        ))
    }
}
