//! The database itself: opening either kind with its pool settings, migrations, the error storage returns, and
//! the clock storage writes times with.

use std::str::FromStr;
use std::time::Duration;

#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// How SQLite makes a commit durable. PostgreSQL ignores it: its own `synchronous_commit` decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every commit is synced to disk before it returns, so an event acknowledged to Twitch (2xx) survives a
    /// power loss or an operating system crash. The default: Twitch does not resend what it was told it got.
    #[default]
    Full,
    /// Commits are synced at WAL checkpoints only. Still safe against sev crashing (the operating system holds the
    /// writes), but a power loss can take the last acknowledged events with it. Cheaper per commit; see
    /// `SQLITE_SYNCHRONOUS` in the README for the measured difference.
    Normal,
}

/// How a pool is sized and what it allows each statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub durability: Durability,
    /// PostgreSQL cancels any statement running longer (`statement_timeout`), so one slow query cannot hold a
    /// connection, and the requests queued behind it, for ever. SQLite has no equivalent; its `busy_timeout` bounds
    /// the wait for the write lock instead.
    pub statement_timeout: Duration,
}

impl PoolSettings {
    /// `max_connections` with the defaults for everything else.
    pub fn new(max_connections: u32) -> Self {
        PoolSettings { max_connections, durability: Durability::default(), statement_timeout: Duration::from_secs(5) }
    }
}

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
    pub(super) pool: Pool,
}

/// The connection pool of whichever database `DATABASE_URL` names.
#[derive(Clone)]
pub(super) enum Pool {
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
        Self::open_with(url, PoolSettings::new(max_connections)).await
    }

    /// [`Db::open`] with every pool setting chosen.
    pub async fn open_with(url: &str, settings: PoolSettings) -> Result<Db, StorageError> {
        let db = Self::connect(url, settings).await?;
        per_db!(db, |p| sqlite: sqlx::migrate!("./migrations/sqlite").run(p).await?,
                        postgres: sqlx::migrate!("./migrations/postgres").run(p).await?);
        Ok(db)
    }

    /// A second pool on a database [`Db::open_with`] already opened (and migrated), for work that must not queue
    /// behind the first pool's: EventSub webhooks get one of their own, so a flood of page renders holding every
    /// connection cannot push Twitch's answers past its deadline.
    pub async fn open_reserve(url: &str, settings: PoolSettings) -> Result<Db, StorageError> {
        Self::connect(url, settings).await
    }

    async fn connect(url: &str, settings: PoolSettings) -> Result<Db, StorageError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            return Self::connect_postgres(url, settings).await;
            #[cfg(not(feature = "postgres"))]
            return Err(StorageError::Unsupported("PostgreSQL"));
        }
        #[cfg(feature = "sqlite")]
        return Self::connect_sqlite(url, settings).await;
        #[cfg(not(feature = "sqlite"))]
        return {
            let _ = settings;
            Err(StorageError::Unsupported("SQLite"))
        };
    }

    /// WAL lets page renders read while a write is under way; `busy_timeout` makes a writer wait for another
    /// instead of failing at once.
    #[cfg(feature = "sqlite")]
    async fn connect_sqlite(url: &str, settings: PoolSettings) -> Result<Db, StorageError> {
        let synchronous = match settings.durability {
            Durability::Full => SqliteSynchronous::Full,
            Durability::Normal => SqliteSynchronous::Normal,
        };
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let file = options.get_filename();
        if let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .map_err(|source| StorageError::Folder { path: folder.display().to_string(), source })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Db { pool: Pool::Sqlite(pool) })
    }

    #[cfg(feature = "postgres")]
    async fn connect_postgres(url: &str, settings: PoolSettings) -> Result<Db, StorageError> {
        let timeout = format!("{}ms", settings.statement_timeout.as_millis());
        let options =
            PgConnectOptions::from_str(url)?.application_name("sev").options([("statement_timeout", timeout.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
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

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    /// What SQLite itself reports, on a pooled connection: 2 is FULL, 1 is NORMAL.
    async fn synchronous_of(durability: Durability) -> i64 {
        let dir = tempfile::tempdir().unwrap();
        let settings = PoolSettings { durability, ..PoolSettings::new(2) };
        let db = Db::open_with(&format!("sqlite://{}/sev.db", dir.path().display()), settings).await.unwrap();
        per_db!(db, |p| sqlite: sqlx::query_scalar("PRAGMA synchronous").fetch_one(p).await.unwrap(),
                        postgres: unreachable!("a sqlite URL opens SQLite: {p:?}"))
    }

    #[tokio::test]
    async fn commits_are_synced_to_disk_unless_told_otherwise() {
        assert_eq!(synchronous_of(Durability::default()).await, 2);
        assert_eq!(synchronous_of(Durability::Normal).await, 1);
    }
}
