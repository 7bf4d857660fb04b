//! sev's web server, and nothing else: settings, sign-in, the Leptos pages and their server functions' backend,
//! EventSub webhooks and subscriptions, the feed WebSocket, storage on SQLite or PostgreSQL, the bus between
//! instances, health and metrics, served by axum. The developer tools are the `sev-tools` crate; the demo's mock
//! Twitch is linked only with the `demo` feature.

pub mod assets;
pub mod auth;
pub mod backend;
pub mod bus;
pub mod config;
pub mod cross_site;
#[cfg(feature = "demo")]
pub mod demo;
pub mod eventsub;
pub mod feed;
pub mod forwarded;
pub mod health;
pub mod lease;
pub mod listen;
pub mod metrics;
pub mod process;
pub mod rate_limit;
pub mod router;
pub mod server;
pub mod state;
pub mod storage;
pub mod subscriptions;
pub mod supervise;
pub mod telemetry;
