use super::db::{Db, StorageError};

impl Db {
    /// Remembers a sign-in's state (by hash) until `expires_at`.
    pub async fn insert_oauth_state(
        &self,
        state_hash: &str,
        purpose: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: sqlx::query!(
                "INSERT INTO oauth_states (state_hash, purpose, created_at, expires_at) VALUES (?, ?, ?, ?)",
                state_hash,
                purpose,
                now,
                expires_at
            )
            .execute(p)
            .await
            .map(drop)?,
            postgres: sqlx::query!(
                "INSERT INTO oauth_states (state_hash, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                state_hash,
                purpose,
                now,
                expires_at
            )
            .execute(p)
            .await
            .map(drop)?,
        );
        Ok(())
    }

    /// Removes a state and returns its expiry and purpose. Deleting and reading in one statement makes the state
    /// single-use even when two callbacks race.
    pub async fn take_oauth_state(&self, state_hash: &str) -> Result<Option<(i64, String)>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query!("DELETE FROM oauth_states WHERE state_hash = ? RETURNING expires_at, purpose", state_hash)
                .fetch_optional(p)
                .await?
                .map(|r| (r.expires_at, r.purpose)),
            postgres: sqlx::query!("DELETE FROM oauth_states WHERE state_hash = $1 RETURNING expires_at, purpose", state_hash)
                .fetch_optional(p)
                .await?
                .map(|r| (r.expires_at, r.purpose)),
        ))
    }

    /// Forgets states that expired unused.
    pub async fn purge_oauth_states(&self, now: i64) -> Result<u64, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query!("DELETE FROM oauth_states WHERE expires_at <= ?", now).execute(p).await?.rows_affected(),
            postgres: sqlx::query!("DELETE FROM oauth_states WHERE expires_at <= $1", now).execute(p).await?.rows_affected(),
        ))
    }
}
