//! Health for load balancers and orchestrators: `/healthz` says the process answers, `/readyz` that it can do its
//! job (its database answers), `/metrics` what it has been doing (for this machine, or a scraper with a token).

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;

use crate::metrics::Gauges;
use crate::process;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(|| async { "ok" })).route("/readyz", get(ready)).route("/metrics", get(metrics))
}

async fn ready(State(app): State<AppState>) -> Response {
    let (bus, database) = (app.bus.name(), app.db.kind());
    match (app.db.ping().await, app.bus.healthy()) {
        (Ok(()), true) => (StatusCode::OK, format!("ready: database ok ({database}), bus ok ({bus})")).into_response(),
        (Ok(()), false) => {
            let body = format!("not ready: the {bus} bus is unreachable; this instance serves its own pages only");
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
        (Err(e), _) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready: the database does not answer").into_response()
        }
    }
}

/// Whether a request may read `/metrics`: the metrics show traffic and cost a database query and a walk of the
/// open files, so they are not for anyone on the internet. Allowed: the bearer token `METRICS_TOKEN`, or a client
/// on this machine that reached sev directly (a request a proxy forwarded carries its header, and a proxy on this
/// machine would otherwise make everyone local).
fn may_read_metrics(app: &AppState, peer: SocketAddr, headers: &HeaderMap) -> bool {
    if let Some(token) = &app.settings.metrics_token {
        let given = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(token.expose().as_bytes()))) {
            return true;
        }
    }
    let proxied = headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded");
    peer.ip().is_loopback() && !proxied
}

async fn metrics(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !may_read_metrics(&app, peer, &headers) {
        let body = "metrics are for this machine, or for a scraper with METRICS_TOKEN as its bearer token";
        return (StatusCode::FORBIDDEN, body).into_response();
    }
    let subscriptions_by_status = app.db.subscription_status_counts().await.unwrap_or_default();
    // Counting /proc/self/fd reads a directory as long as the number of open sockets: off the async threads.
    let (resident_memory_bytes, open_fds) =
        tokio::task::spawn_blocking(|| (process::resident_memory_bytes(), process::open_fds()))
            .await
            .unwrap_or_default();
    let gauges = Gauges {
        open_websockets: app.sockets.total(),
        catchups: app.bus.local().catchups(),
        bus_dropped: app.bus.dropped(),
        subscriptions_by_status,
        twitch_calls: app.twitch.stats().calls(),
        twitch_rate_limit: app.twitch.stats().rate_limit(),
        resident_memory_bytes,
        open_fds,
    };
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render(&gauges)).into_response()
}
