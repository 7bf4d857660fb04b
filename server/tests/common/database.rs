//! The database a test runs on: a fresh SQLite file by default or, when `SEV_TEST_POSTGRES` holds the admin URL of
//! a PostgreSQL server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), a fresh database of its own on that
//! server, dropped when the test ends. `scripts/test` runs the suite both ways.

use sqlx::Connection;
use sqlx::postgres::PgConnection;

pub struct TestDatabase {
    pub url: String,
    place: Place,
}

enum Place {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin: String, name: String },
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        Self::create_on(None).await
    }

    /// A fresh database on the PostgreSQL server `admin` names, or else where `SEV_TEST_POSTGRES` says.
    pub async fn create_on(admin: Option<&str>) -> TestDatabase {
        let admin = admin.map(String::from).ok_or(()).or_else(|()| std::env::var("SEV_TEST_POSTGRES"));
        match admin {
            Ok(admin) if !admin.is_empty() => {
                let name = format!("sev_test_{}_{:016x}", std::process::id(), rand::random::<u64>());
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("SEV_TEST_POSTGRES: cannot connect: {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
                let _ = conn.close().await;
                let base = admin.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin);
                TestDatabase { url: format!("{base}/{name}"), place: Place::Postgres { admin, name } }
            }
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/sev.db", dir.path().display());
                TestDatabase { url, place: Place::Sqlite(dir) }
            }
        }
    }

    /// Whether this test runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.place, Place::Postgres { .. })
    }
}

impl Drop for TestDatabase {
    /// Drops a PostgreSQL test database, closing whatever connections the stopped servers left. Runs on a thread
    /// of its own because `Drop` cannot await and the test's runtime may be shutting down.
    fn drop(&mut self) {
        let Place::Postgres { admin, name } = &self.place else { return };
        let (admin, name) = (admin.clone(), name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}
