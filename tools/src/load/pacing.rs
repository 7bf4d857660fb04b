//! Requests at a fixed rate, shared by the webhook sender and the page reader. Each request has a due time
//! computed from the start (`start + n / rate`), so a slow moment is made up by sending the overdue ones at once
//! rather than shifting everything later. At most `max_in_flight` requests await an answer; when all do, sending
//! waits, and the furthest any request went out after its due time is reported.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How a paced run went.
pub struct Paced {
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// The furthest a request went out after its due time.
    pub max_lag: Duration,
}

/// Runs `request(n, due)` for `n` in `0..total` at `rate` per second, then waits for the last to finish.
pub async fn at_rate<F, Fut>(total: u64, rate: u32, max_in_flight: usize, mut request: F) -> Paced
where
    F: FnMut(u64, Instant) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let in_flight = Arc::new(Semaphore::new(max_in_flight));
    let mut tasks = JoinSet::new();
    let start = Instant::now();
    let mut max_lag = Duration::ZERO;
    for n in 0..total {
        let due = start + Duration::from_secs_f64(n as f64 / f64::from(rate));
        tokio::time::sleep_until(due.into()).await;
        let Ok(permit) = in_flight.clone().acquire_owned().await else { break };
        max_lag = max_lag.max(due.elapsed());
        let task = request(n, due);
        tasks.spawn(async move {
            task.await;
            drop(permit);
        });
        // Reap finished requests as we go, so the set does not hold every handle of a long run.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    Paced { elapsed: start.elapsed(), max_lag }
}
