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
            crate::storage::db::Pool::Sqlite($pool) => $sqlite,
            #[cfg(feature = "postgres")]
            crate::storage::db::Pool::Postgres($pool) => $postgres,
        }
    };
}

mod connections;
mod db;
mod events;
mod leases;
mod oauth_states;
mod secrets;
mod sessions;
mod status;
mod streamers;
mod subscriptions;
#[cfg(test)]
mod twins;
mod users;

pub use db::{Db, Durability, PoolSettings, StorageError, now, now_ms};
pub use events::{NewEvent, Stored, StoredEvent};
pub use sessions::SessionRecord;
pub use status::SubscriptionStatus;
pub use subscriptions::{SubKey, SubscriptionRow};
pub use users::UserRecord;
