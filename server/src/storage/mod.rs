//! Storage: every SQL statement sev runs, grouped by what it stores. Queries are compile-checked by sqlx against
//! the migrations; the offline query data in `.sqlx/` lets a build run without a database.

mod connections;
mod events;
mod leases;
mod oauth_states;
mod secrets;
mod sessions;
mod streamers;
mod subscriptions;
mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use events::NewEvent;
pub use sessions::SessionRecord;
pub use subscriptions::{LIVE_STATUSES, SubKey, SubscriptionRow};
pub use users::UserRecord;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the database folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
}

/// The database. Cheap to clone: it is a pool handle.
#[derive(Clone)]
pub struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Opens (creating if needed) the database and runs the embedded migrations.
    ///
    /// WAL lets page renders read while a write is under way; `busy_timeout` makes a writer wait for another
    /// instead of failing at once; the pool is bounded and so is the wait for a connection, so overload shows as
    /// an error rather than an ever-growing queue.
    pub async fn open(url: &str, max_connections: u32) -> Result<Db, StorageError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let file = options.get_filename();
        if let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .map_err(|source| StorageError::Folder { path: folder.display().to_string(), source })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Db { pool })
    }

    /// Whether the database answers, for readiness checks.
    pub async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// The current time as Unix milliseconds, the unit of event times.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The current time as Unix seconds, the unit every other time column uses.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
