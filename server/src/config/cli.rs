//! The command line: every setting as a flag and an environment variable, collected as text for `validate`.

use clap::{Args, Parser, Subcommand};

/// Streamer Event Viewer: a Twitch streamer's player, chat and latest events, live.
#[derive(Debug, Parser)]
#[command(name = "sev", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub config: RawConfig,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default when no command is given). The tools (trigger, subscriptions, load) are
    /// the `sev-tools` binary.
    Serve,
}

/// The settings as given, before validation.
#[derive(Debug, Clone, Args)]
pub struct RawConfig {
    /// Database URL: `sqlite://path` (created if missing) for one machine, or `postgres://user:password@host/db`
    /// for several instances sharing one database.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/sev.db")]
    pub database_url: String,

    /// Redis URL (redis:// or rediss://) of the bus shared by several instances. Unset: an in-process bus.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// How SQLite makes commits durable: `full` syncs every commit to disk, so no event acknowledged to Twitch is
    /// lost to a power cut; `normal` syncs only at checkpoints, which is cheaper but can lose the last
    /// acknowledged events on power loss. PostgreSQL ignores it.
    #[arg(long, env = "SQLITE_SYNCHRONOUS", default_value = "full")]
    pub sqlite_synchronous: String,

    /// Most database connections kept open.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value = "10")]
    pub database_max_connections: String,

    /// Database connections kept for EventSub webhooks alone, on top of DATABASE_MAX_CONNECTIONS, so a flood of
    /// page views cannot make Twitch wait (it retries, then revokes, subscriptions whose callback is slow).
    #[arg(long, env = "WEBHOOK_DB_CONNECTIONS", default_value = "4")]
    pub webhook_db_connections: String,

    /// Longest a webhook may take before sev answers 503 (Twitch then sends the message again), in milliseconds.
    /// Twitch gives up on an answer after a few seconds and counts it as a failure; a quick 503 is better.
    #[arg(long, env = "WEBHOOK_DEADLINE_MS", default_value = "2500")]
    pub webhook_deadline_ms: String,

    /// Longest any one SQL statement may run on PostgreSQL before it is cancelled, in milliseconds.
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT_MS", default_value = "5000")]
    pub database_statement_timeout_ms: String,

    /// Longest a client may take to send a request's headers, in seconds; also how long an idle connection is kept.
    /// Slow-loris clients are cut off after it.
    #[arg(long, env = "HTTP_HEADER_TIMEOUT_SECS", default_value = "10")]
    pub http_header_timeout_secs: String,

    /// Longest a client may take to send a request's body, in seconds (answered 408 after it).
    #[arg(long, env = "HTTP_BODY_TIMEOUT_SECS", default_value = "10")]
    pub http_body_timeout_secs: String,

    /// Longest sev works on one request before answering 503, in seconds: a page render stuck on something
    /// upstream ends instead of holding its connection. Keep it above TWITCH_TIMEOUT_MS.
    #[arg(long, env = "HTTP_REQUEST_TIMEOUT_SECS", default_value = "20")]
    pub http_request_timeout_secs: String,

    /// The external base URL people and Twitch reach sev at: the OAuth redirect, the webhook callback and the
    /// embed `parent` are built from it. Cookies are marked Secure when it is https.
    #[arg(long, env = "PUBLIC_URL", default_value = "http://localhost:3000")]
    pub public_url: String,

    /// Address to listen on (cargo-leptos sets this variable).
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub site_addr: String,

    /// `1` runs the local demo: a mock Twitch served in-process under /mock-twitch, where anyone signs in as anyone
    /// and events are made up. Refused unless PUBLIC_URL is loopback, the database SQLite and REDIS_URL unset, so
    /// it can never face the internet by accident. `scripts/run` sets it when no TWITCH_CLIENT_ID is given.
    #[arg(long, env = "SEV_DEMO", default_value = "0")]
    pub demo: String,

    /// Twitch application client id (from dev.twitch.tv/console). Required unless SEV_DEMO=1.
    #[arg(long, env = "TWITCH_CLIENT_ID")]
    pub twitch_client_id: Option<String>,

    /// Twitch application client secret. Required with TWITCH_CLIENT_ID.
    #[arg(long, env = "TWITCH_CLIENT_SECRET", hide_env_values = true)]
    pub twitch_client_secret: Option<String>,

    /// Base URL of Twitch's OAuth endpoints (authorize, token, validate, revoke).
    #[arg(long, env = "TWITCH_OAUTH_URL", default_value = "https://id.twitch.tv/oauth2")]
    pub twitch_oauth_url: String,

    /// Base URL of the Helix API.
    #[arg(long, env = "TWITCH_HELIX_URL", default_value = "https://api.twitch.tv/helix")]
    pub twitch_helix_url: String,

    /// Longest wait for any one Twitch call, in milliseconds.
    #[arg(long, env = "TWITCH_TIMEOUT_MS", default_value = "8000")]
    pub twitch_timeout_ms: String,

    /// Secret that signs EventSub webhooks: 10 to 100 ASCII characters. Required with TWITCH_CLIENT_ID; demo
    /// mode generates one and keeps it in the database.
    #[arg(long, env = "EVENTSUB_SECRET", hide_env_values = true)]
    pub eventsub_secret: Option<String>,

    /// Key that protects session cookies: at least 32 characters, shared by every instance. Required with
    /// TWITCH_CLIENT_ID; demo mode generates one and keeps it in the database.
    #[arg(long, env = "SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<String>,

    /// How long a sign-in lasts, in days.
    #[arg(long, env = "SESSION_TTL_DAYS", default_value = "30")]
    pub session_ttl_days: String,

    /// How often each session's Twitch token is re-validated, in seconds. Twitch requires about hourly.
    #[arg(long, env = "TOKEN_VALIDATE_INTERVAL_SECS", default_value = "3600")]
    pub token_validate_interval_secs: String,

    /// Events kept per streamer; older ones are deleted as new ones arrive.
    #[arg(long, env = "EVENT_RETENTION_PER_STREAMER", default_value = "500")]
    pub event_retention: String,

    /// How long a streamer nobody picks any more keeps their subscriptions, in seconds.
    #[arg(long, env = "SUBSCRIPTION_GRACE_SECS", default_value = "86400")]
    pub subscription_grace_secs: String,

    /// How often subscriptions are reconciled with Twitch's list, in seconds.
    #[arg(long, env = "RECONCILE_INTERVAL_SECS", default_value = "600")]
    pub reconcile_interval_secs: String,

    /// On SIGTERM or ctrl-c, how long requests under way (webhooks above all) may take to finish before sev stops
    /// anyway, in seconds. Keep a load balancer's deregistration delay at least this long.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value = "10")]
    pub shutdown_grace_secs: String,

    /// A bearer token that opens `/metrics` to Prometheus from elsewhere (`Authorization: Bearer <token>`). Without
    /// it, only clients on this machine reaching sev directly (not through a proxy) may read `/metrics`.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Page views per minute one client address may make (an IPv6 address counts with its whole /64); 0: no limit.
    /// The budget refills evenly over the minute, and a visitor may spend it all at once.
    #[arg(long, env = "RATE_LIMIT_PAGES_PER_MIN", default_value = "300")]
    pub rate_limit_pages_per_min: String,

    /// Sign-ins (and channel connections) per minute one client address may start; 0: no limit.
    #[arg(long, env = "RATE_LIMIT_SIGN_INS_PER_MIN", default_value = "30")]
    pub rate_limit_sign_ins_per_min: String,

    /// Actions (picking a favorite, signing out) per minute one client address may take; 0: no limit.
    #[arg(long, env = "RATE_LIMIT_ACTIONS_PER_MIN", default_value = "60")]
    pub rate_limit_actions_per_min: String,

    /// Live-feed WebSockets per minute one client address may open; 0: no limit.
    #[arg(long, env = "RATE_LIMIT_SOCKETS_PER_MIN", default_value = "120")]
    pub rate_limit_sockets_per_min: String,

    /// Most live-feed WebSockets open on this instance from everyone together; more are answered 503.
    #[arg(long, env = "WS_MAX_OPEN", default_value = "50000")]
    pub ws_max_open: String,

    /// Most live-feed WebSockets one client address may hold open.
    #[arg(long, env = "WS_MAX_PER_ADDRESS", default_value = "32")]
    pub ws_max_per_address: String,

    /// How many proxies you run in front of sev that append to X-Forwarded-For (1 behind an ALB, 2 behind
    /// CloudFront and an ALB). 0 (the default) ignores the header, which anyone can forge when nothing trusted
    /// sets it. Used to tell client addresses apart for WS_MAX_PER_ADDRESS.
    #[arg(long, env = "TRUSTED_PROXY_HOPS", default_value = "0")]
    pub trusted_proxy_hops: String,

    /// How long a looked-up streamer profile is trusted before Twitch is asked again, in seconds. Picking a
    /// streamer someone already picked then costs no Helix call, which keeps sev within Twitch's rate limit.
    #[arg(long, env = "PROFILE_CACHE_SECS", default_value = "3600")]
    pub profile_cache_secs: String,

    /// More host names the site is served on (comma-separated, e.g. www.example.com), for the Twitch embeds'
    /// `parent`; the host of PUBLIC_URL is always included.
    #[arg(long, env = "EMBED_PARENT_HOSTS", default_value = "")]
    pub embed_parent_hosts: String,

    /// Log filter, in tracing's EnvFilter syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,

    /// Log format: `pretty` for people, `json` for log collectors.
    #[arg(long, env = "LOG_FORMAT", default_value = "pretty")]
    pub log_format: String,

    /// Folder with the built site (set by cargo-leptos).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Folder under the site root with the WASM and CSS (set by cargo-leptos).
    #[arg(long, env = "LEPTOS_SITE_PKG_DIR", default_value = "pkg")]
    pub site_pkg_dir: String,

    /// Base name of the WASM, JS and CSS files (set by cargo-leptos).
    #[arg(long, env = "LEPTOS_OUTPUT_NAME", default_value = "sev")]
    pub output_name: String,

    /// Port of cargo-leptos's live-reload socket during `cargo leptos watch`.
    #[arg(long, env = "LEPTOS_RELOAD_PORT", default_value = "3001")]
    pub reload_port: String,

    /// Whether the site's /pkg files carry content hashes in their names: `auto` (when the build's hash.txt sits
    /// next to the sev binary), `true` or `false`. Hashed files are served with a year-long cache lifetime.
    #[arg(long, env = "LEPTOS_HASH_FILES", default_value = "auto")]
    pub hash_files: String,
}
