//! Health for load balancers and orchestrators: `/healthz` says the process answers, `/readyz` that it can do its
//! job (its database answers), `/metrics` what it has been doing.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use http::header::CONTENT_TYPE;

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

async fn metrics(State(app): State<AppState>) -> Response {
    let subscriptions_by_status = app.db.subscription_status_counts().await.unwrap_or_default();
    // Counting /proc/self/fd reads a directory as long as the number of open sockets: off the async threads.
    let (resident_memory_bytes, open_fds) =
        tokio::task::spawn_blocking(|| (process::resident_memory_bytes(), process::open_fds()))
            .await
            .unwrap_or_default();
    let gauges = Gauges {
        open_websockets: app.connections.total(),
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
