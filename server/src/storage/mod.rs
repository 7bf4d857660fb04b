//! Storage: every SQL statement sev runs, grouped by what it stores.
//!
//! sev runs on SQLite (one machine) or PostgreSQL (a fleet sharing one database), chosen by `DATABASE_URL`. Each
//! method holds the statement for both, side by side, each compile-checked by sqlx against its own migrations
//! (`migrations/sqlite`, `migrations/postgres`). The offline query data in `.sqlx/` lets a build run without a
//! database; `scripts/sqlx-prepare` regenerates it, building once per database with only that feature enabled,
//! which is why each arm is gated by its feature.

/// Evaluates the arm for the database in use, with `$pool` bound to its pool: `sqlite:` holds the statement in
/// SQLite's dialect (`?` placeholders), `postgres:` in PostgreSQL's (`$1`…). Each arm is compiled only with its
/// database's feature, which lets `scripts/sqlx-prepare` check each dialect against its own database.
macro_rules! per_db {
    ($db:expr, |$pool:ident| sqlite: $sqlite:expr, postgres: $postgres:expr $(,)?) => {
        match &$db.pool {
            #[cfg(feature = "sqlite")]
            crate::storage::Pool::Sqlite($pool) => $sqlite,
            #[cfg(feature = "postgres")]
            crate::storage::Pool::Postgres($pool) => $postgres,
        }
    };
}

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

#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use events::{NewEvent, Stored};
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
    #[error("this build of sev does not support {0} databases")]
    Unsupported(&'static str),
}

/// The database. Cheap to clone: it is a pool handle.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
}

/// The connection pool of whichever database `DATABASE_URL` names.
#[derive(Clone)]
enum Pool {
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

impl Db {
    /// Opens the database `url` names and runs its embedded migrations. Instances starting together are safe:
    /// sqlx's migrator takes a lock (an advisory lock on PostgreSQL) while it runs.
    ///
    /// Both pools are bounded and so is the wait for a connection, so overload shows as an error rather than an
    /// ever-growing queue.
    pub async fn open(url: &str, max_connections: u32) -> Result<Db, StorageError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            return Self::open_postgres(url, max_connections).await;
            #[cfg(not(feature = "postgres"))]
            return Err(StorageError::Unsupported("PostgreSQL"));
        }
        #[cfg(feature = "sqlite")]
        return Self::open_sqlite(url, max_connections).await;
        #[cfg(not(feature = "sqlite"))]
        return Err(StorageError::Unsupported("SQLite"));
    }

    /// WAL lets page renders read while a write is under way; `busy_timeout` makes a writer wait for another
    /// instead of failing at once.
    #[cfg(feature = "sqlite")]
    async fn open_sqlite(url: &str, max_connections: u32) -> Result<Db, StorageError> {
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
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Db { pool: Pool::Sqlite(pool) })
    }

    #[cfg(feature = "postgres")]
    async fn open_postgres(url: &str, max_connections: u32) -> Result<Db, StorageError> {
        let options = PgConnectOptions::from_str(url)?.application_name("sev");
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Db { pool: Pool::Postgres(pool) })
    }

    /// Which database this is, for logs and health.
    pub fn kind(&self) -> &'static str {
        per_db!(self, |_p| sqlite: "sqlite", postgres: "postgres")
    }

    /// Whether the database answers, for readiness checks.
    pub async fn ping(&self) -> Result<(), StorageError> {
        per_db!(self, |p| sqlite: sqlx::query("SELECT 1").execute(p).await.map(drop)?,
                          postgres: sqlx::query("SELECT 1").execute(p).await.map(drop)?);
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
