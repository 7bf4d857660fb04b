//! sev's server: configuration, sign-in, favorites and the Leptos pages, served by axum.

pub mod auth;
pub mod backend;
pub mod config;
pub mod router;
pub mod server;
pub mod state;
pub mod storage;
pub mod telemetry;
