//! The middleware every request passes through first: it counts the request, then applies the
//! faults a test injected (a delay, or the whole service being down).
//!
//! Counting happens before the faults so that a test can assert that a client retried against a
//! mock that was down.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use crate::MockTwitch;
use crate::errors::error_status_message;

/// Faults injected by tests, and the request counts they assert on.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) delay: Option<Duration>,
    pub(crate) down: bool,
    /// Paths answering 503 while the rest works, e.g. only `/oauth2/token`.
    pub(crate) down_paths: HashSet<String>,
    requests_per_path: HashMap<String, usize>,
}

impl Faults {
    pub(crate) fn request_count(&self, path: &str) -> usize {
        self.requests_per_path.get(path).copied().unwrap_or(0)
    }

    fn count_request(&mut self, path: &str) {
        *self.requests_per_path.entry(path.to_owned()).or_default() += 1;
    }
}

/// Counts the request under the path the mock's router sees (a nesting prefix is already
/// stripped), sleeps for the injected delay, and answers 503 while the mock is down.
pub(crate) async fn observe_and_inject_faults(
    State(mock): State<MockTwitch>,
    request: Request,
    next: Next,
) -> Response {
    let (delay, down) = {
        let mut store = mock.shared().lock();
        store.faults.count_request(request.uri().path());
        (store.faults.delay, store.faults.down || store.faults.down_paths.contains(request.uri().path()))
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if down {
        return error_status_message(
            StatusCode::SERVICE_UNAVAILABLE,
            "The mock Twitch service is down (fault injected by a test)",
        );
    }
    next.run(request).await
}
