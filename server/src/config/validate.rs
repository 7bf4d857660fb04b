//! From the text the operator gave to typed [`Settings`], stopping at the first problem with one line that names
//! its environment variable.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use super::cli::RawConfig;
use super::error::{ConfigError, invalid};
use super::settings::{ConnectionUrl, LogFormat, Secret, Settings, TwitchApp, TwitchMode};
use super::site::{hash_file, hashed_names};
use crate::storage::Durability;

fn number<T>(variable: &'static str, value: &str, range: std::ops::RangeInclusive<T>) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    let n: T =
        value.trim().parse().map_err(|_| invalid(variable, format!("expected a whole number, got {value:?}")))?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(invalid(variable, format!("must be between {} and {}, got {n}", range.start(), range.end())))
    }
}

/// A number of seconds within `range`.
fn seconds(variable: &'static str, value: &str, range: std::ops::RangeInclusive<u64>) -> Result<Duration, ConfigError> {
    number(variable, value, range).map(Duration::from_secs)
}

/// A number of milliseconds within `range`.
fn millis(variable: &'static str, value: &str, range: std::ops::RangeInclusive<u64>) -> Result<Duration, ConfigError> {
    number(variable, value, range).map(Duration::from_millis)
}

/// A per-minute budget; 0 turns the limit off.
fn per_minute(variable: &'static str, value: &str) -> Result<Option<std::num::NonZeroU32>, ConfigError> {
    Ok(std::num::NonZeroU32::new(number(variable, value, 0..=1_000_000)?))
}

fn http_url(variable: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value.trim()).map_err(|e| invalid(variable, format!("not a URL ({e}): {value:?}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(variable, format!("must start with http:// or https://, got {value:?}")));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(variable, format!("has no host name: {value:?}")));
    }
    Ok(url)
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn eventsub_secret(value: &str) -> Result<Secret, ConfigError> {
    // Twitch's rule for the EventSub secret.
    if !(10..=100).contains(&value.len()) || !value.is_ascii() {
        return Err(invalid("EVENTSUB_SECRET", "must be 10 to 100 ASCII characters"));
    }
    Ok(Secret::new(value))
}

fn session_key(value: &str) -> Result<Secret, ConfigError> {
    if value.len() < 32 {
        return Err(invalid("SESSION_KEY", "must be at least 32 characters; `openssl rand -hex 32` makes one"));
    }
    Ok(Secret::new(value))
}

/// The embeds' `parent` hosts: host names only (Twitch refuses schemes and IP addresses).
fn embed_parents(public_url: &Url, extra: &str) -> Result<Vec<String>, ConfigError> {
    let mut hosts = vec![public_url.host_str().unwrap_or_default().to_string()];
    for host in extra.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        let valid = host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && host.contains(|c: char| c.is_ascii_alphabetic());
        if !valid {
            return Err(invalid(
                "EMBED_PARENT_HOSTS",
                format!("{host:?} is not a host name (no scheme, port or path)"),
            ));
        }
        if !hosts.iter().any(|h| h == host) {
            hosts.push(host.to_ascii_lowercase());
        }
    }
    Ok(hosts)
}

/// Demo mode's mock Twitch signs anyone in as anyone: it may serve only this machine, on a database of its own.
fn demo_allowed(public_url: &Url, database_url: &str, redis: bool) -> Result<(), ConfigError> {
    let loopback = match public_url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !loopback {
        return Err(invalid(
            "SEV_DEMO",
            format!(
                "demo mode lets anyone sign in as anyone, so it runs only with a loopback PUBLIC_URL such as \
                 http://localhost:3000, not {}",
                public_url.host_str().unwrap_or_default()
            ),
        ));
    }
    if !database_url.starts_with("sqlite:") {
        return Err(invalid(
            "SEV_DEMO",
            "demo mode runs only on SQLite: a PostgreSQL database is for real deployments",
        ));
    }
    if redis {
        return Err(invalid("SEV_DEMO", "demo mode runs one instance: unset REDIS_URL"));
    }
    Ok(())
}

/// What an error message may show of a connection URL: its scheme, never the password it may carry.
fn scheme_only(url: &str) -> &str {
    url.split(':').next().unwrap_or_default()
}

impl RawConfig {
    /// Checks every setting and returns the first problem found.
    pub fn validate(&self) -> Result<Settings, ConfigError> {
        let database_url = self.database_url.trim().to_string();
        if !["sqlite:", "postgres://", "postgresql://"].iter().any(|scheme| database_url.starts_with(scheme)) {
            let scheme = scheme_only(&database_url);
            return Err(invalid(
                "DATABASE_URL",
                format!(
                    "must be sqlite://path (one machine) or postgres://user:password@host/db (several instances), \
                     got a {scheme:?} URL"
                ),
            ));
        }

        let mut public_url = http_url("PUBLIC_URL", &self.public_url)?;
        if public_url.query().is_some() || public_url.fragment().is_some() {
            return Err(invalid("PUBLIC_URL", "must not have a query or fragment"));
        }
        let trimmed = public_url.path().trim_end_matches('/').to_string();
        public_url.set_path(&trimmed);

        let site_addr: SocketAddr = self.site_addr.trim().parse().map_err(|_| {
            invalid("LEPTOS_SITE_ADDR", format!("expected host:port such as 127.0.0.1:3000, got {:?}", self.site_addr))
        })?;

        let demo = match self.demo.trim() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" | "" => false,
            other => return Err(invalid("SEV_DEMO", format!("must be 1 or 0, got {other:?}"))),
        };
        let twitch = match (non_empty(&self.twitch_client_id), non_empty(&self.twitch_client_secret)) {
            (None, None) if demo => {
                demo_allowed(&public_url, &database_url, non_empty(&self.redis_url).is_some())?;
                TwitchMode::Demo
            }
            // The tools (`sev-tools trigger`, `sev-tools load`…) need no Twitch application; serving does (see
            // [`Settings::check_serving`]).
            (None, None) => TwitchMode::Unconfigured,
            (Some(_), _) if demo => {
                return Err(invalid("SEV_DEMO", "cannot be used with TWITCH_CLIENT_ID: pick the demo or real Twitch"));
            }
            (Some(_), None) => {
                return Err(invalid("TWITCH_CLIENT_SECRET", "is required when TWITCH_CLIENT_ID is set"));
            }
            (None, Some(_)) => {
                return Err(invalid("TWITCH_CLIENT_ID", "is required when TWITCH_CLIENT_SECRET is set"));
            }
            (Some(id), Some(secret)) => TwitchMode::Real(Box::new(TwitchApp {
                client_id: id.to_string(),
                client_secret: Secret::new(secret),
                oauth_url: http_url("TWITCH_OAUTH_URL", &self.twitch_oauth_url)?,
                helix_url: http_url("TWITCH_HELIX_URL", &self.twitch_helix_url)?,
            })),
        };
        let live = matches!(twitch, TwitchMode::Real(_));

        let eventsub_secret = match non_empty(&self.eventsub_secret) {
            Some(v) => Some(eventsub_secret(v)?),
            None if live => {
                return Err(invalid("EVENTSUB_SECRET", "is required when TWITCH_CLIENT_ID is set"));
            }
            None => None,
        };
        let session_key = match non_empty(&self.session_key) {
            Some(v) => Some(session_key(v)?),
            None if live => {
                return Err(invalid("SESSION_KEY", "is required when TWITCH_CLIENT_ID is set"));
            }
            None => None,
        };

        let log_format = match self.log_format.trim() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                return Err(invalid("LOG_FORMAT", format!("must be pretty or json, got {other:?}")));
            }
        };
        tracing_subscriber::EnvFilter::try_new(&self.log_filter)
            .map_err(|e| invalid("RUST_LOG", format!("not a valid filter: {e}")))?;

        let embed_parents = embed_parents(&public_url, &self.embed_parent_hosts)?;
        let redis_url = match non_empty(&self.redis_url) {
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => Some(ConnectionUrl::new(url)),
            Some(url) => {
                let scheme = scheme_only(url);
                return Err(invalid(
                    "REDIS_URL",
                    format!("must start with redis:// or rediss://, got a {scheme:?} URL"),
                ));
            }
            None => None,
        };
        Ok(Settings {
            database_url: ConnectionUrl::new(database_url),
            redis_url,
            database_max_connections: number("DATABASE_MAX_CONNECTIONS", &self.database_max_connections, 1..=1000)?,
            webhook_db_connections: number("WEBHOOK_DB_CONNECTIONS", &self.webhook_db_connections, 1..=100)?,
            webhook_deadline: millis("WEBHOOK_DEADLINE_MS", &self.webhook_deadline_ms, 500..=10_000)?,
            statement_timeout: millis(
                "DATABASE_STATEMENT_TIMEOUT_MS",
                &self.database_statement_timeout_ms,
                100..=600_000,
            )?,
            header_timeout: seconds("HTTP_HEADER_TIMEOUT_SECS", &self.http_header_timeout_secs, 1..=600)?,
            body_timeout: seconds("HTTP_BODY_TIMEOUT_SECS", &self.http_body_timeout_secs, 1..=600)?,
            request_timeout: seconds("HTTP_REQUEST_TIMEOUT_SECS", &self.http_request_timeout_secs, 1..=600)?,
            durability: match self.sqlite_synchronous.trim() {
                "full" => Durability::Full,
                "normal" => Durability::Normal,
                other => return Err(invalid("SQLITE_SYNCHRONOUS", format!("must be full or normal, got {other:?}"))),
            },
            public_url,
            site_addr,
            twitch,
            twitch_timeout: millis("TWITCH_TIMEOUT_MS", &self.twitch_timeout_ms, 100..=120_000)?,
            eventsub_secret,
            session_key,
            session_ttl: Duration::from_secs(86_400 * number("SESSION_TTL_DAYS", &self.session_ttl_days, 1..=365)?),
            token_validate_interval: seconds(
                "TOKEN_VALIDATE_INTERVAL_SECS",
                &self.token_validate_interval_secs,
                1..=3600,
            )?,
            event_retention: number("EVENT_RETENTION_PER_STREAMER", &self.event_retention, 10..=1_000_000)?,
            subscription_grace: seconds("SUBSCRIPTION_GRACE_SECS", &self.subscription_grace_secs, 0..=30 * 86_400)?,
            reconcile_interval: seconds("RECONCILE_INTERVAL_SECS", &self.reconcile_interval_secs, 1..=86_400)?,
            shutdown_grace: seconds("SHUTDOWN_GRACE_SECS", &self.shutdown_grace_secs, 0..=3600)?,
            metrics_token: match non_empty(&self.metrics_token) {
                Some(token) if token.len() < 16 => {
                    return Err(invalid(
                        "METRICS_TOKEN",
                        "must be at least 16 characters; `openssl rand -hex 16` makes one",
                    ));
                }
                token => token.map(Secret::new),
            },
            rate_budgets: crate::rate_limit::doors::Budgets {
                pages: per_minute("RATE_LIMIT_PAGES_PER_MIN", &self.rate_limit_pages_per_min)?,
                sign_ins: per_minute("RATE_LIMIT_SIGN_INS_PER_MIN", &self.rate_limit_sign_ins_per_min)?,
                actions: per_minute("RATE_LIMIT_ACTIONS_PER_MIN", &self.rate_limit_actions_per_min)?,
                sockets: per_minute("RATE_LIMIT_SOCKETS_PER_MIN", &self.rate_limit_sockets_per_min)?,
            },
            ws_max_open: number("WS_MAX_OPEN", &self.ws_max_open, 1..=10_000_000)?,
            ws_max_per_address: number("WS_MAX_PER_ADDRESS", &self.ws_max_per_address, 1..=100_000)?,
            trusted_proxy_hops: number("TRUSTED_PROXY_HOPS", &self.trusted_proxy_hops, 0..=10)?,
            profile_cache: seconds("PROFILE_CACHE_SECS", &self.profile_cache_secs, 0..=7 * 86_400)?,
            embed_parents,
            log_filter: self.log_filter.clone(),
            log_format,
            site_root: self.site_root.clone(),
            site_pkg_dir: self.site_pkg_dir.clone(),
            output_name: self.output_name.clone(),
            reload_port: number("LEPTOS_RELOAD_PORT", &self.reload_port, 1..=65535)?,
            hashed_assets: hashed_names(&self.hash_files, hash_file().as_deref())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Cli;
    use clap::Parser;

    /// The defaults, written out so the tests do not depend on the environment they run in.
    fn defaults() -> RawConfig {
        RawConfig {
            database_url: "sqlite://data/sev.db".into(),
            database_max_connections: "10".into(),
            sqlite_synchronous: "full".into(),
            demo: "0".into(),
            webhook_db_connections: "4".into(),
            webhook_deadline_ms: "2500".into(),
            database_statement_timeout_ms: "5000".into(),
            http_header_timeout_secs: "10".into(),
            http_body_timeout_secs: "10".into(),
            http_request_timeout_secs: "20".into(),
            redis_url: None,
            public_url: "http://localhost:3000".into(),
            site_addr: "127.0.0.1:3000".into(),
            twitch_client_id: None,
            twitch_client_secret: None,
            twitch_oauth_url: "https://id.twitch.tv/oauth2".into(),
            twitch_helix_url: "https://api.twitch.tv/helix".into(),
            twitch_timeout_ms: "8000".into(),
            eventsub_secret: None,
            session_key: None,
            session_ttl_days: "30".into(),
            token_validate_interval_secs: "3600".into(),
            event_retention: "500".into(),
            subscription_grace_secs: "86400".into(),
            reconcile_interval_secs: "600".into(),
            shutdown_grace_secs: "10".into(),
            metrics_token: None,
            rate_limit_pages_per_min: "300".into(),
            rate_limit_sign_ins_per_min: "30".into(),
            rate_limit_actions_per_min: "60".into(),
            rate_limit_sockets_per_min: "120".into(),
            ws_max_open: "50000".into(),
            ws_max_per_address: "32".into(),
            trusted_proxy_hops: "0".into(),
            profile_cache_secs: "3600".into(),
            embed_parent_hosts: "".into(),
            log_filter: "info".into(),
            log_format: "pretty".into(),
            site_root: "target/site".into(),
            site_pkg_dir: "pkg".into(),
            output_name: "sev".into(),
            reload_port: "3001".into(),
            hash_files: "auto".into(),
        }
    }

    fn live() -> RawConfig {
        RawConfig {
            twitch_client_id: Some("abc".into()),
            twitch_client_secret: Some("def".into()),
            eventsub_secret: Some("0123456789abcdef".into()),
            session_key: Some("k".repeat(32)),
            ..defaults()
        }
    }

    fn error_of(raw: RawConfig) -> ConfigError {
        raw.validate().expect_err("expected a configuration error")
    }

    /// The local demo, as `scripts/run` starts it.
    fn demo() -> RawConfig {
        RawConfig { demo: "1".into(), ..defaults() }
    }

    #[test]
    fn without_credentials_or_the_demo_asked_for_sev_stops_with_one_line() {
        let e = defaults().validate().unwrap().check_serving().expect_err("no Twitch to serve with");
        assert_eq!(e.variable, "TWITCH_CLIENT_ID");
        assert!(e.to_string().contains("SEV_DEMO=1"), "{e}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn the_demo_is_refused_wherever_it_could_face_the_internet() {
        for url in ["https://sev.example.com", "http://192.168.1.10:3000", "http://0.0.0.0:3000"] {
            let e = error_of(RawConfig { public_url: url.into(), ..demo() });
            assert_eq!(e.variable, "SEV_DEMO", "{url}");
            assert!(e.problem.contains("loopback"), "{e}");
        }
        for url in ["http://127.0.0.1:3000", "http://[::1]:3000", "http://LOCALHOST:3000"] {
            assert!(RawConfig { public_url: url.into(), ..demo() }.validate().unwrap().is_demo(), "{url}");
        }
        let e = error_of(RawConfig { database_url: "postgres://localhost/sev".into(), ..demo() });
        assert_eq!((e.variable, e.problem.contains("SQLite")), ("SEV_DEMO", true), "{e}");
        let e = error_of(RawConfig { redis_url: Some("redis://127.0.0.1/".into()), ..demo() });
        assert_eq!((e.variable, e.problem.contains("REDIS_URL")), ("SEV_DEMO", true), "{e}");
        let e = error_of(RawConfig { demo: "maybe".into(), ..defaults() });
        assert_eq!(e.variable, "SEV_DEMO");
        let e = error_of(RawConfig { demo: "1".into(), ..live() });
        assert_eq!(e.variable, "SEV_DEMO");
    }

    #[test]
    fn the_demo_runs_on_sqlite_on_loopback() {
        let s = demo().validate().unwrap();
        assert!(s.is_demo());
        assert_eq!(s.database_url, "sqlite://data/sev.db");
        assert_eq!(s.site_addr, "127.0.0.1:3000".parse().unwrap());
        assert!(!s.secure_cookies());
        assert_eq!(s.public("/auth/callback"), "http://localhost:3000/auth/callback");
    }

    #[test]
    fn flags_are_parsed_by_clap() {
        let cli = Cli::try_parse_from([
            "sev",
            "--public-url",
            "https://sev.example.com/",
            "--site-addr",
            "0.0.0.0:8080",
            "--database-url",
            "sqlite://other.db",
        ])
        .unwrap();
        let s = cli.config.validate().unwrap();
        assert_eq!(s.public_url.as_str(), "https://sev.example.com/");
        assert_eq!(s.public("/x"), "https://sev.example.com/x");
        assert!(s.secure_cookies());
        assert_eq!(s.site_addr.port(), 8080);
    }

    #[test]
    fn a_bad_listen_address_names_leptos_site_addr() {
        let e = error_of(RawConfig { site_addr: "localhost".into(), ..defaults() });
        assert_eq!(e.variable, "LEPTOS_SITE_ADDR");
        assert!(e.to_string().starts_with("invalid LEPTOS_SITE_ADDR: expected host:port"), "{e}");
    }

    #[test]
    fn a_public_url_must_be_http_or_https_with_a_host() {
        assert_eq!(error_of(RawConfig { public_url: "ftp://x".into(), ..defaults() }).variable, "PUBLIC_URL");
        assert_eq!(error_of(RawConfig { public_url: "not a url".into(), ..defaults() }).variable, "PUBLIC_URL");
        assert_eq!(error_of(RawConfig { public_url: "https://x/?a=b".into(), ..defaults() }).variable, "PUBLIC_URL");
    }

    #[test]
    fn sqlite_and_postgres_databases_are_accepted_and_others_refused_without_echoing_secrets() {
        let e = error_of(RawConfig { database_url: "mysql://root:hunter2@db/sev".into(), ..defaults() });
        assert_eq!(e.variable, "DATABASE_URL");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        for url in ["sqlite://x.db", "postgres://sev:pw@db/sev", "postgresql://localhost/sev"] {
            let s = RawConfig { database_url: url.into(), ..defaults() }.validate().unwrap();
            assert_eq!(s.database_url, url);
        }
    }

    #[test]
    fn a_client_id_needs_its_secret_and_the_other_way_round() {
        let e = error_of(RawConfig { twitch_client_id: Some("abc".into()), ..defaults() });
        assert_eq!(e.variable, "TWITCH_CLIENT_SECRET");
        let e = error_of(RawConfig { twitch_client_secret: Some("abc".into()), ..defaults() });
        assert_eq!(e.variable, "TWITCH_CLIENT_ID");
    }

    #[test]
    fn live_mode_requires_both_secrets() {
        assert!(matches!(live().validate().unwrap().twitch, TwitchMode::Real(_)));
        assert_eq!(error_of(RawConfig { eventsub_secret: None, ..live() }).variable, "EVENTSUB_SECRET");
        assert_eq!(error_of(RawConfig { session_key: None, ..live() }).variable, "SESSION_KEY");
    }

    #[test]
    fn the_eventsub_secret_follows_twitchs_length_rule() {
        for bad in ["short", &"x".repeat(101)] {
            let e = error_of(RawConfig { eventsub_secret: Some(bad.to_string()), ..live() });
            assert_eq!(e.variable, "EVENTSUB_SECRET");
        }
    }

    #[test]
    fn a_short_session_key_is_refused() {
        let e = error_of(RawConfig { session_key: Some("too-short".into()), ..defaults() });
        assert_eq!(e.variable, "SESSION_KEY");
    }

    #[test]
    fn bad_twitch_urls_name_their_variable() {
        let e = error_of(RawConfig { twitch_oauth_url: "id.twitch.tv".into(), ..live() });
        assert_eq!(e.variable, "TWITCH_OAUTH_URL");
        let e = error_of(RawConfig { twitch_helix_url: "gopher://x".into(), ..live() });
        assert_eq!(e.variable, "TWITCH_HELIX_URL");
    }

    #[test]
    fn numbers_out_of_range_or_not_numbers_are_refused() {
        let e = error_of(RawConfig { twitch_timeout_ms: "soon".into(), ..defaults() });
        assert_eq!(e.variable, "TWITCH_TIMEOUT_MS");
        let e = error_of(RawConfig { twitch_timeout_ms: "5".into(), ..defaults() });
        assert!(e.problem.contains("between 100 and 120000"), "{e}");
        let e = error_of(RawConfig { session_ttl_days: "0".into(), ..defaults() });
        assert_eq!(e.variable, "SESSION_TTL_DAYS");
        let e = error_of(RawConfig { token_validate_interval_secs: "7200".into(), ..defaults() });
        assert_eq!(e.variable, "TOKEN_VALIDATE_INTERVAL_SECS");
    }

    #[test]
    fn embed_parents_start_with_the_public_host_and_refuse_urls() {
        let s = RawConfig {
            public_url: "https://sev.example.com".into(),
            embed_parent_hosts: "www.sev.example.com, sev.example.com".into(),
            ..defaults()
        }
        .validate()
        .unwrap();
        assert_eq!(s.embed_parents, vec!["sev.example.com", "www.sev.example.com"]);
        let e = error_of(RawConfig { embed_parent_hosts: "https://x.com".into(), ..defaults() });
        assert_eq!(e.variable, "EMBED_PARENT_HOSTS");
    }

    #[test]
    fn connection_urls_never_show_their_password_in_debug_output() {
        let raw = RawConfig {
            database_url: "postgres://sev:hunter2@db:5432/sev".into(),
            redis_url: Some("rediss://:s3cret@cache:6379".into()),
            ..defaults()
        };
        let settings = raw.validate().unwrap();
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://sev:***@db:5432/sev"), "{shown}");
        assert_eq!(&*settings.database_url, "postgres://sev:hunter2@db:5432/sev", "connections get the real URL");
        let e = error_of(RawConfig { redis_url: Some("http://:s3cret@x".into()), ..defaults() });
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }

    #[test]
    fn a_redis_url_must_be_a_redis_url() {
        assert_eq!(error_of(RawConfig { redis_url: Some("http://x".into()), ..defaults() }).variable, "REDIS_URL");
        let s = RawConfig { redis_url: Some("redis://127.0.0.1:6379".into()), ..defaults() }.validate().unwrap();
        assert_eq!(s.redis_url.as_deref(), Some("redis://127.0.0.1:6379"));
    }

    #[test]
    fn sqlite_durability_defaults_to_full_and_is_checked() {
        assert_eq!(defaults().validate().unwrap().durability, Durability::Full);
        let normal = RawConfig { sqlite_synchronous: "normal".into(), ..defaults() }.validate().unwrap();
        assert_eq!(normal.durability, Durability::Normal);
        let e = error_of(RawConfig { sqlite_synchronous: "off".into(), ..defaults() });
        assert_eq!(e.variable, "SQLITE_SYNCHRONOUS");
    }

    #[test]
    fn a_metrics_token_must_be_long_and_never_shows() {
        let e = error_of(RawConfig { metrics_token: Some("short".into()), ..defaults() });
        assert_eq!(e.variable, "METRICS_TOKEN");
        let s = RawConfig { metrics_token: Some("m".repeat(24)), ..defaults() }.validate().unwrap();
        assert_eq!(s.metrics_token.as_ref().map(|t| t.expose().len()), Some(24));
        assert!(!format!("{s:?}").contains(&"m".repeat(24)));
    }

    #[test]
    fn log_settings_are_checked() {
        assert_eq!(error_of(RawConfig { log_format: "xml".into(), ..defaults() }).variable, "LOG_FORMAT");
        assert_eq!(error_of(RawConfig { log_filter: "sev=loud".into(), ..defaults() }).variable, "RUST_LOG");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = live().validate().unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(!shown.contains(&"k".repeat(32)), "{shown}");
        assert!(!shown.contains("\"def\""), "{shown}");
    }
}
