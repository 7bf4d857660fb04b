//! Everything sev knows about Twitch's HTTP protocol, kept apart from the web app so it can be read and tested
//! alone: the OAuth endpoints (through the `oauth2` crate, adapted to Twitch's dialect), Helix (users, EventSub
//! subscriptions), an app-token cache, and EventSub's catalog of types, message envelope and signature check. It
//! returns errors; the binary decides how to report them.

pub mod api;
pub mod error;
pub mod eventsub;
pub mod helix;
pub mod http;
pub mod oauth;
pub mod stats;

pub use api::TwitchApi;
pub use error::TwitchError;
pub use helix::{Helix, HelixUser};
pub use http::Endpoints;
pub use oauth::{OAuth, TokenSet, ValidatedToken};
pub use stats::ApiStats;
