//! Background loops (reconcile, token validation) that outlive a panic in one of their passes.
//!
//! A panic inside a `tokio::spawn`ed loop ends the task silently: reconciling or token validation would stop for
//! good while the instance keeps answering health checks. Each pass runs in a task of its own instead; a pass
//! that panics is logged and counted (`sev_background_panics_total`), and the loop goes on at its next tick.

use std::future::Future;

use crate::metrics::{BackgroundLoop, Metrics};

/// Ends the pass's task when the loop awaiting it is itself ended (shutdown aborts the loops), as it would end
/// if the pass ran inline.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs one pass of `which` in its own task. False when it did not finish: it panicked (logged and counted) or was
/// cancelled.
pub async fn pass<F>(metrics: &Metrics, which: BackgroundLoop, work: F) -> bool
where
    F: Future<Output = ()> + Send + 'static,
{
    let task = tokio::spawn(work);
    let _abort = AbortOnDrop(task.abort_handle());
    match task.await {
        Ok(()) => true,
        Err(e) if !e.is_panic() => false,
        Err(e) => {
            tracing::error!(background = which.label(), error = %e, "a background pass failed; the loop goes on at its next tick");
            metrics.background_panicked(which);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Gauges;

    fn no_gauges() -> Gauges {
        Gauges::default()
    }

    #[tokio::test]
    async fn a_panicking_pass_is_counted_and_the_next_pass_runs() {
        let metrics = Metrics::default();
        let panicked = pass(&metrics, BackgroundLoop::Reconcile, async { panic!("a bug in one pass") }).await;
        assert!(!panicked);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let ran = pass(&metrics, BackgroundLoop::Reconcile, async move {
            let _ = tx.send(());
        })
        .await;
        assert!(ran);
        assert!(rx.await.is_ok(), "the next pass ran");
        let text = metrics.render(&no_gauges());
        assert!(text.contains("sev_background_panics_total{loop=\"reconcile\"} 1"), "{text}");
        assert!(text.contains("sev_background_panics_total{loop=\"token_validation\"} 0"), "{text}");
    }
}
