//! The state every handler shares: settings, storage, the Twitch client and the keys.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::bus::EventBus;
use crate::config::{Secret, Settings};
use crate::storage::Db;

/// Keys that must be the same on every instance and across restarts.
pub struct Keys {
    /// Keys the hashes of session tokens and OAuth states.
    pub session: Secret,
    /// Signs EventSub webhooks.
    pub eventsub: Secret,
}

/// Handed to every handler. Cloning is cheap.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    /// A pool of EventSub webhooks' own (see [`Db::open_reserve`]).
    pub webhook_db: Db,
    pub twitch: Arc<twitch::TwitchApi>,
    pub keys: Arc<Keys>,
    pub bus: Arc<dyn EventBus>,
    /// Open feed sockets per client address.
    pub sockets: crate::feed::limits::SocketLimits,
    pub rate_limits: crate::rate_limit::limiter::RateLimits,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Names this instance in leases shared with other instances.
    pub instance_id: Arc<str>,
    pub leptos_options: LeptosOptions,
    /// Turns true when the instance starts shutting down: feed sockets then close with "going away", so pages
    /// reconnect at once (to another instance behind a balancer) instead of finding out from a dead connection.
    pub going_away: tokio::sync::watch::Receiver<bool>,
}

impl AppState {
    /// The state a webhook is handled with: the same, but storage through the webhooks' own pool.
    pub fn for_webhooks(&self) -> AppState {
        AppState { db: self.webhook_db.clone(), ..self.clone() }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
