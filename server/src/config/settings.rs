//! The validated settings and the types that keep secrets out of logs.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use super::error::{ConfigError, demo_not_built, unconfigured};
use crate::storage::{Durability, PoolSettings};

/// The callback path, under `PUBLIC_URL`.
pub const CALLBACK_PATH: &str = "/eventsub/callback";

/// A database or Redis URL. It may carry a password, so `Debug` masks the password; the URL itself is reached by
/// dereferencing, where a connection needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionUrl(String);

impl ConnectionUrl {
    pub fn new(value: impl Into<String>) -> Self {
        ConnectionUrl(value.into())
    }
}

impl std::ops::Deref for ConnectionUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for ConnectionUrl {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Debug for ConnectionUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                write!(f, "{:?}", url.as_str())
            }
            Ok(url) => write!(f, "{:?}", url.as_str()),
            Err(_) => f.write_str("<unreadable URL>"),
        }
    }
}

/// A secret value. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// Who sev talks to for Twitch.
#[derive(Debug, Clone)]
pub enum TwitchMode {
    /// Neither credentials nor the demo were given: enough for the tools, not for serving.
    Unconfigured,
    /// The built-in mock Twitch, served under `/mock-twitch`.
    Demo,
    /// A real Twitch application (or anything speaking Twitch's protocol at the given URLs).
    Real(Box<TwitchApp>),
}

/// A registered Twitch application and where its Twitch lives.
#[derive(Debug, Clone)]
pub struct TwitchApp {
    pub client_id: String,
    pub client_secret: Secret,
    pub oauth_url: Url,
    pub helix_url: Url,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: ConnectionUrl,
    pub database_max_connections: u32,
    pub webhook_db_connections: u32,
    pub webhook_deadline: Duration,
    pub statement_timeout: Duration,
    pub durability: Durability,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub request_timeout: Duration,
    pub redis_url: Option<ConnectionUrl>,
    /// Without a trailing slash.
    pub public_url: Url,
    pub site_addr: SocketAddr,
    pub twitch: TwitchMode,
    pub twitch_timeout: Duration,
    /// `None` in demo mode when not given: generated and stored in the database.
    pub eventsub_secret: Option<Secret>,
    /// `None` in demo mode when not given: generated and stored in the database.
    pub session_key: Option<Secret>,
    pub session_ttl: Duration,
    pub token_validate_interval: Duration,
    pub event_retention: i64,
    pub subscription_grace: Duration,
    pub reconcile_interval: Duration,
    pub shutdown_grace: Duration,
    pub metrics_token: Option<Secret>,
    pub rate_budgets: crate::rate_limit::doors::Budgets,
    pub ws_max_open: usize,
    pub ws_max_per_address: usize,
    pub trusted_proxy_hops: usize,
    pub profile_cache: Duration,
    /// Hosts for the embeds' `parent`, PUBLIC_URL's first.
    pub embed_parents: Vec<String>,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub site_root: String,
    pub site_pkg_dir: String,
    pub output_name: String,
    pub reload_port: u32,
    /// The /pkg files are named after their content (see `assets`).
    pub hashed_assets: bool,
}

impl Settings {
    /// Cookies get `Secure` when people reach sev over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The origin sev's pages are served from, e.g. `https://sev.example.com`: what a browser sends as `Origin`.
    pub fn origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    /// `PUBLIC_URL` plus a path, e.g. `public("/auth/callback")`.
    pub fn public(&self, path: &str) -> String {
        format!("{}{}", self.public_url.as_str().trim_end_matches('/'), path)
    }

    /// The callback URL every EventSub subscription of this deployment points at.
    pub fn callback(&self) -> String {
        self.public(CALLBACK_PATH)
    }

    /// The general pool's settings.
    pub fn pool(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.database_max_connections,
            durability: self.durability,
            statement_timeout: self.statement_timeout,
        }
    }

    /// The webhooks' own pool: a webhook's statements get the time Twitch gives it, not more.
    pub fn webhook_pool(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.webhook_db_connections,
            statement_timeout: self.statement_timeout.min(self.webhook_deadline),
            ..self.pool()
        }
    }

    /// Whether these settings can serve: a Twitch application, or the demo asked for in a build that has it.
    pub fn check_serving(&self) -> Result<(), ConfigError> {
        match self.twitch {
            TwitchMode::Unconfigured => Err(unconfigured()),
            TwitchMode::Demo if !cfg!(feature = "demo") => Err(demo_not_built()),
            _ => Ok(()),
        }
    }

    pub fn is_demo(&self) -> bool {
        matches!(self.twitch, TwitchMode::Demo)
    }
}
