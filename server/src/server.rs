//! Start-up: storage, keys, the Twitch client (real or mock), the router, background tasks. Used by `main` and
//! by the integration tests, which start the real server on a loopback port.

use std::net::SocketAddr;
use std::sync::Arc;

use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use twitch::{Endpoints, Helix, OAuth, TwitchApi, TwitchError};

use crate::auth::{revalidate, tokens::random_token};
use crate::config::{Secret, Settings, TwitchMode};
use crate::state::{AppState, Keys};
use crate::storage::{Db, StorageError};
use crate::{router, subscriptions};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("Twitch client: {0}")]
    Twitch(#[from] TwitchError),
    #[error("REDIS_URL: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
}

/// A running sev.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    serving: JoinHandle<std::io::Result<()>>,
    background: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// Runs until the server stops: from `main`, on ctrl-c or SIGTERM.
    pub async fn wait(self) -> std::io::Result<()> {
        self.finish().await
    }

    /// Stops the server as a signal would.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.finish().await;
    }

    /// Waits for the server to stop. Once shutdown begins, requests under way get `SHUTDOWN_GRACE_SECS` to
    /// finish (a webhook Twitch is waiting on is answered, not cut); whatever is still running then is dropped,
    /// so one stuck client cannot keep a stopping instance alive. The background tasks stop and the reconcile
    /// lease is given up for another instance.
    async fn finish(mut self) -> std::io::Result<()> {
        let mut going_away = self.state.going_away.clone();
        let grace = self.state.settings.shutdown_grace;
        let deadline = async move {
            if going_away.wait_for(|away| *away).await.is_err() {
                return std::future::pending().await;
            }
            tokio::time::sleep(grace).await;
        };
        let result = tokio::select! {
            served = &mut self.serving => served.unwrap_or(Ok(())),
            () = deadline => {
                tracing::warn!(?grace, "requests still under way at the shutdown deadline; stopping anyway");
                self.serving.abort();
                Ok(())
            }
        };
        for task in &self.background {
            task.abort();
        }
        subscriptions::release_lease(&self.state).await;
        result
    }
}

/// A secret from the settings, or else the one this installation generated and stored earlier.
async fn secret(db: &Db, given: &Option<Secret>, name: &str) -> Result<Secret, StorageError> {
    match given {
        Some(s) => Ok(s.clone()),
        None => Ok(Secret::new(db.instance_secret(name, &random_token()).await?)),
    }
}

/// Starts sev on `listener`; `shutdown` stops it gracefully when it completes.
pub async fn start(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<RunningServer, StartError> {
    let addr = listener.local_addr()?;
    let db = Db::open_with(&settings.database_url, settings.pool()).await?;
    let webhook_db = Db::open_reserve(&settings.database_url, settings.webhook_pool()).await?;
    let keys = Keys {
        session: secret(&db, &settings.session_key, "session_key").await?,
        eventsub: secret(&db, &settings.eventsub_secret, "eventsub_secret").await?,
    };

    let redirect_uri = settings.public("/auth/callback");
    #[cfg(feature = "demo")]
    let mut demo = None;
    let (endpoints, client_id, client_secret) = match &settings.twitch {
        TwitchMode::Real(live) => {
            let oauth = live.oauth_url.as_str().trim_end_matches('/').to_string();
            let endpoints = Endpoints {
                authorize_url: format!("{oauth}/authorize"),
                oauth_base: oauth,
                helix_base: live.helix_url.as_str().trim_end_matches('/').to_string(),
            };
            (endpoints, live.client_id.clone(), live.client_secret.expose().to_string())
        }
        TwitchMode::Unconfigured => return Err(StartError::Config(crate::config::unconfigured())),
        #[cfg(not(feature = "demo"))]
        TwitchMode::Demo => return Err(StartError::Config(crate::config::demo_not_built())),
        #[cfg(feature = "demo")]
        TwitchMode::Demo => {
            let mock = crate::demo::Demo::new(&settings, addr);
            let endpoints = mock.endpoints.clone();
            demo = Some(mock);
            (endpoints, crate::demo::CLIENT_ID.to_string(), crate::demo::CLIENT_SECRET.to_string())
        }
    };
    let http = twitch::http::client(settings.twitch_timeout)?;
    let oauth = OAuth::new(http.clone(), &endpoints, &client_id, &client_secret, &redirect_uri)?;
    let helix = Helix::new(http, &endpoints.helix_base, &client_id);

    let leptos_options = LeptosOptions::builder()
        .output_name(settings.output_name.as_str())
        .site_root(settings.site_root.as_str())
        .site_pkg_dir(settings.site_pkg_dir.as_str())
        .site_addr(addr)
        .reload_port(settings.reload_port)
        .hash_files(settings.hashed_assets)
        .build();

    let sockets = crate::feed::SocketLimits::new(settings.ws_max_per_address, settings.ws_max_open);
    let rate_limits = crate::rate_limit::RateLimits::new(settings.rate_budgets);
    let instance_id: Arc<str> = random_token().into();
    let bus: Arc<dyn crate::bus::EventBus> = match &settings.redis_url {
        Some(url) => Arc::new(crate::bus::redis::RedisBus::start(url, &instance_id)?),
        None => Arc::new(crate::bus::LocalBus::default()),
    };
    let (going_away_tx, going_away) = tokio::sync::watch::channel(false);
    let state = AppState {
        sockets,
        rate_limits,
        metrics: Arc::default(),
        instance_id,
        settings: Arc::new(settings),
        db,
        webhook_db,
        twitch: Arc::new(TwitchApi::new(oauth, helix)),
        keys: Arc::new(keys),
        bus,
        leptos_options,
        going_away,
    };
    let extra = axum::Router::new();
    #[cfg(feature = "demo")]
    let extra = match &demo {
        Some(demo) => demo.routes(),
        None => extra,
    };
    let app = router::build(state.clone(), extra);
    let (tx, rx) = oneshot::channel::<()>();
    let header_timeout = state.settings.header_timeout;
    let serving = tokio::spawn(crate::listen::serve(listener, app, header_timeout, async move {
        tokio::select! {
            _ = rx => {}
            _ = shutdown => {}
        }
        // Upgraded sockets are not connections the graceful shutdown waits for: tell them.
        let _ = going_away_tx.send(true);
    }));
    let background = vec![
        revalidate::spawn(state.clone()),
        subscriptions::spawn(state.clone()),
        crate::rate_limit::spawn(state.clone()),
    ];
    tracing::info!(%addr, public_url = %state.settings.public_url, "sev is listening");
    Ok(RunningServer { addr, state, shutdown: Some(tx), serving, background })
}
