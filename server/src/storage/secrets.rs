use super::{Db, StorageError};

impl Db {
    /// Returns the instance secret `name`, storing `generated` first if there is none yet. Every instance sharing
    /// the database ends up with the same value, whichever stored it first.
    pub async fn instance_secret(&self, name: &str, generated: &str) -> Result<String, StorageError> {
        sqlx::query!(
            "INSERT INTO instance_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            name,
            generated
        )
        .execute(&self.pool)
        .await?;
        let row = sqlx::query!("SELECT value FROM instance_secrets WHERE name = ?", name).fetch_one(&self.pool).await?;
        Ok(row.value)
    }

    /// An instance secret, if one was generated.
    pub async fn stored_secret(&self, name: &str) -> Result<Option<String>, StorageError> {
        let row =
            sqlx::query!("SELECT value FROM instance_secrets WHERE name = ?", name).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.value))
    }
}
