//! Per-address rate limits on the doors anyone can knock on without signing in: pages, sign-in, actions and feed
//! sockets. Each door has its own budget per client address (refilled evenly over a minute, so a burst of up to the
//! whole minute's budget is allowed), kept by `governor`'s keyed limiter (GCRA: one timestamp per address, no
//! counters to sweep). Over budget, the answer is 429 with `Retry-After`.
//!
//! IPv6 addresses are keyed by their /64: one subscriber usually holds a whole /64, and keying by the full address
//! would let them mint 2^64 fresh budgets. Webhooks are not limited here: they are signed, and Twitch must never be
//! refused; static files are cached and cheap.

pub mod doors;
pub mod limiter;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::RETRY_AFTER;

pub use doors::{Budgets, Door};
pub use limiter::{RateLimits, key};

use crate::state::AppState;

/// The 429 a client over budget gets: when to come back, in whole seconds, and a sentence saying so.
pub fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let message = format!("too many requests from your address; try again in {seconds} s");
    (StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, seconds.to_string())], message).into_response()
}

/// Applies the budgets to every request, before any handler runs.
pub async fn enforce(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let Some(door) = Door::of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let client = crate::forwarded::client_address(peer, request.headers(), app.settings.trusted_proxy_hops);
    match app.rate_limits.check(door, client) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            app.metrics.rate_limited(door);
            tracing::debug!(door = door.label(), %client, "rate limited");
            too_many(wait)
        }
    }
}

/// Forgets idle addresses once a minute, for as long as sev runs.
pub fn spawn(app: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            app.rate_limits.forget_idle();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let r = too_many(Duration::from_millis(1200));
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[RETRY_AFTER], "2");
        assert_eq!(too_many(Duration::ZERO).headers()[RETRY_AFTER], "1");
    }
}
