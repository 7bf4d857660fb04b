use super::db::{Db, StorageError};

impl Db {
    /// Returns the instance secret `name`, storing `generated` first if there is none yet. Every instance sharing
    /// the database ends up with the same value, whichever stored it first.
    pub async fn instance_secret(&self, name: &str, generated: &str) -> Result<String, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: {
                sqlx::query!(
                    "INSERT INTO instance_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                    name,
                    generated
                )
                .execute(p)
                .await?;
                sqlx::query_scalar!("SELECT value FROM instance_secrets WHERE name = ?", name).fetch_one(p).await?
            },
            postgres: {
                sqlx::query!(
                    "INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                    name,
                    generated
                )
                .execute(p)
                .await?;
                sqlx::query_scalar!("SELECT value FROM instance_secrets WHERE name = $1", name).fetch_one(p).await?
            },
        ))
    }

    /// An instance secret, if one was generated.
    pub async fn stored_secret(&self, name: &str) -> Result<Option<String>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_scalar!("SELECT value FROM instance_secrets WHERE name = ?", name)
                .fetch_optional(p)
                .await?,
            postgres: sqlx::query_scalar!("SELECT value FROM instance_secrets WHERE name = $1", name)
                .fetch_optional(p)
                .await?,
        ))
    }
}
