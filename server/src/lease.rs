//! Jobs that one instance at a time may run, such as reconciling Twitch's subscriptions.
//!
//! A lease in the database names its holder and runs out at a time. Taking it once is not enough: a job that
//! runs longer than the lease (a reconcile over thousands of subscriptions, or one slowed by Twitch) would let a
//! second instance start the same job beside it. So the holder renews the lease while its job runs, and stops the
//! job as soon as a renewal finds the lease in another's hands.

use std::future::Future;
use std::time::Duration;

use crate::storage::{Db, StorageError, now};

/// What became of a job run under a lease.
#[derive(Debug, PartialEq, Eq)]
pub enum Leased<T> {
    /// The job ran to its end, under the lease all along.
    Done(T),
    /// Another instance holds the lease: the job did not start.
    Elsewhere,
    /// The lease passed to another instance while the job ran (this one stalled past its term): the job was
    /// stopped where it was, and the new holder's next run finishes what it left.
    Lost,
}

/// Runs `job` while holding the lease `name` for `holder`, renewing it every third of `term`.
pub async fn run_leased<F: Future>(
    db: &Db,
    name: &str,
    holder: &str,
    term: Duration,
    job: F,
) -> Result<Leased<F::Output>, StorageError> {
    let term_secs = term.as_secs().max(1) as i64;
    let start = now();
    if !db.try_lease(name, holder, start, start + term_secs).await? {
        return Ok(Leased::Elsewhere);
    }
    let renew = async {
        let mut every = tokio::time::interval((term / 3).max(Duration::from_millis(100)));
        every.tick().await;
        loop {
            every.tick().await;
            let now = now();
            match db.try_lease(name, holder, now, now + term_secs).await {
                Ok(true) => {}
                Ok(false) => return,
                // The database is where another instance would take the lease from, so while it fails nobody
                // can; the next renewal tries again.
                Err(e) => tracing::warn!(error = %e, lease = name, "cannot renew a lease"),
            }
        }
    };
    tokio::select! {
        output = job => Ok(Leased::Done(output)),
        () = renew => {
            tracing::warn!(lease = name, "lease taken by another instance; stopping this instance's run");
            Ok(Leased::Lost)
        }
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&format!("sqlite://{}/sev.db", dir.path().display()), 4).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn a_job_longer_than_the_term_keeps_its_lease() {
        let (_dir, db) = db().await;
        let term = Duration::from_secs(2);
        let job = run_leased(&db, "job", "a", term, tokio::time::sleep(Duration::from_millis(4500)));
        let rival = async {
            // Past the first term: without renewals the lease would have run out by now.
            tokio::time::sleep(Duration::from_millis(3200)).await;
            let now = now();
            db.try_lease("job", "b", now, now + 2).await.unwrap()
        };
        let (outcome, rival_took_it) = tokio::join!(job, rival);
        assert_eq!(outcome.unwrap(), Leased::Done(()));
        assert!(!rival_took_it, "the lease was renewed while the job ran");
    }

    #[tokio::test]
    async fn a_job_stops_when_its_lease_is_lost() {
        let (_dir, db) = db().await;
        let job = run_leased(&db, "job", "a", Duration::from_secs(3), std::future::pending::<()>());
        let thief = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            db.release_lease("job", "a").await.unwrap();
            let now = now();
            assert!(db.try_lease("job", "b", now, now + 60).await.unwrap());
        };
        let (outcome, ()) = tokio::time::timeout(Duration::from_secs(5), async { tokio::join!(job, thief) })
            .await
            .expect("the job is stopped within a renewal interval");
        assert_eq!(outcome.unwrap(), Leased::Lost);
        let now = now();
        assert!(!db.try_lease("job", "a", now, now + 60).await.unwrap(), "b holds it");
    }

    #[tokio::test]
    async fn a_job_does_not_start_while_another_holds_the_lease() {
        let (_dir, db) = db().await;
        let now = now();
        assert!(db.try_lease("job", "b", now, now + 60).await.unwrap());
        let ran = std::sync::atomic::AtomicBool::new(false);
        let job = async { ran.store(true, std::sync::atomic::Ordering::Relaxed) };
        let outcome = run_leased(&db, "job", "a", Duration::from_secs(60), job).await.unwrap();
        assert_eq!(outcome, Leased::Elsewhere);
        assert!(!ran.load(std::sync::atomic::Ordering::Relaxed), "the job did not run");
    }
}
