//! sev's user interface and the models the server and the browser share.
//!
//! The same components render on the server (feature `ssr`) and wake up in the browser (feature `hydrate`).
//! Server functions are in [`api`]; their server half reaches sev's storage and Twitch
//! through the [`backend::Backend`] trait, which the server crate implements, so this crate never depends on the
//! database or on axum's state.

pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod events;
pub mod feed;
pub mod login;
pub mod models;
mod pages;
mod shell;

pub use shell::{App, shell};
