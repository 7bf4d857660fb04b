//! sev's server: configuration, sign-in, favorites and the Leptos pages, served by axum.

pub mod assets;
pub mod auth;
pub mod backend;
pub mod bus;
pub mod config;
pub mod cross_site;
pub mod demo;
pub mod eventsub;
pub mod forwarded;
pub mod health;
pub mod lease;
pub mod listen;
pub mod live;
pub mod load;
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
pub mod trigger;
