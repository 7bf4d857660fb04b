use super::db::{Db, StorageError};

impl Db {
    /// Takes or renews the lease `name` for `holder` until `expires_at`; false while another holder's lease runs.
    /// One statement, so two instances racing for a free lease cannot both win.
    pub async fn try_lease(&self, name: &str, holder: &str, now: i64, expires_at: i64) -> Result<bool, StorageError> {
        let taken = per_db!(self, |p|
            sqlite: sqlx::query!(
                "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE leases.expires_at <= ? OR leases.holder = excluded.holder",
                name,
                holder,
                expires_at,
                now
            )
            .execute(p)
            .await?
            .rows_affected(),
            postgres: sqlx::query!(
                "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE leases.expires_at <= $4 OR leases.holder = excluded.holder",
                name,
                holder,
                expires_at,
                now
            )
            .execute(p)
            .await?
            .rows_affected(),
        );
        Ok(taken == 1)
    }

    /// Gives a lease up, so another instance (or this one, restarted) need not wait for it to expire.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: sqlx::query!("DELETE FROM leases WHERE name = ? AND holder = ?", name, holder)
                .execute(p)
                .await
                .map(drop)?,
            postgres: sqlx::query!("DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder)
                .execute(p)
                .await
                .map(drop)?,
        );
        Ok(())
    }
}
