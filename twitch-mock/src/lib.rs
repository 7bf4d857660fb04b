//! A mock of the parts of Twitch that sev talks to: the OAuth service (`id.twitch.tv/oauth2/...`),
//! Helix (`api.twitch.tv/helix/...`) and EventSub over webhooks (the subscriptions API, the
//! challenge, and signed notifications and revocations posted to callbacks).
//!
//! sev's real client code must run unchanged against this mock, so it speaks Twitch's wire format
//! (JSON shapes, status codes, headers) and is strict where Twitch is strict: a redirect URI that
//! does not match exactly, a reused authorization code, a missing `Client-Id` header or a client
//! secret sent only through HTTP Basic auth all fail here as they fail against Twitch. A client
//! bug then fails a test instead of production.
//!
//! The mock is used two ways:
//! - in-process in demo mode, nested under a prefix on sev's own router
//!   (`Router::new().nest("/mock-twitch", mock.router())`), which is why every route and every
//!   link it renders is relative;
//! - in integration tests, served on its own listener with [`MockTwitch::serve`].
//!
//! All state lives in memory behind one mutex (module `state`); each area of Twitch owns one part
//! of it, so adding an area means adding one module and one field.
//!
//! Besides Twitch's routes the router has one control route for demo mode, `POST /_mock/fill`
//! ([`MockTwitch::fill_feed`]). The [`payloads`] module builds EventSub messages and events for
//! any sender, not only the mock.

mod authorizations;
mod avatars;
mod clock;
mod errors;
mod eventsub;
mod faults;
mod helix;
mod html;
mod oauth;
mod params;
mod rate_limit;
mod state;
mod tokens;
mod users;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;

use crate::state::Shared;

pub use crate::eventsub::Delivery;
pub use twitch_testkit::payloads;
pub use twitch_testkit::people::{SEEDED_STREAMERS, UserProfile, is_valid_login, profile_for, user_id_for};

/// An application registered with the mock, as it would be in the Twitch developer console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockClient {
    pub client_id: String,
    pub client_secret: String,
    /// The OAuth redirect URLs. Twitch compares them byte for byte, and so does the mock.
    pub redirect_uris: Vec<String>,
}

/// Everything the mock needs to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    pub clients: Vec<MockClient>,
    /// Absolute base URL where this mock is reachable from a browser, without trailing slash,
    /// e.g. "http://127.0.0.1:3000/mock-twitch". Used to build avatar URLs.
    pub public_base: String,
    /// When set, EventSub callbacks must start with it (e.g. sev's `PUBLIC_URL` plus `/`): a mock whose demo
    /// credentials anyone can read must not be made to post to any address on the network. `None` accepts any
    /// absolute http(s) URL, as Twitch does.
    pub callbacks_under: Option<String>,
}

/// A running mock Twitch. Cheap to clone: clones share one state, so a test can keep a handle
/// to inspect or break the mock while the router serves requests.
#[derive(Clone)]
pub struct MockTwitch {
    shared: std::sync::Arc<Shared>,
}

impl MockTwitch {
    /// Creates a mock with the given clients and the seeded streamers as its only users.
    pub fn new(config: MockConfig) -> Self {
        Self { shared: std::sync::Arc::new(Shared::new(config)) }
    }

    /// Router with routes /oauth2/... , /helix/... , /avatars/... and the control route
    /// /_mock/fill (relative, so it can be nested under a prefix).
    pub fn router(&self) -> Router {
        Router::new()
            .merge(oauth::routes())
            .merge(helix::routes(self.clone()))
            .merge(avatars::routes())
            .merge(eventsub::control_routes())
            .layer(axum::middleware::from_fn_with_state(self.clone(), faults::observe_and_inject_faults))
            .with_state(self.clone())
    }

    /// Fault injection: delay every response by this long (None = no delay).
    pub fn set_delay(&self, delay: Option<Duration>) {
        self.shared.lock().faults.delay = delay;
    }

    /// Fault injection: answer every request with
    /// 503 {"error":"Service Unavailable","status":503,"message":"..."}.
    pub fn set_down(&self, down: bool) {
        self.shared.lock().faults.down = down;
    }

    /// Makes one path (as the mock's router sees it, e.g. `/oauth2/token`) answer 503 while the rest works.
    pub fn set_path_down(&self, path: &str, down: bool) {
        let faults = &mut self.shared.lock().faults;
        if down {
            faults.down_paths.insert(path.to_string());
        } else {
            faults.down_paths.remove(path);
        }
    }

    /// How many user access tokens issued to this login are still usable: neither revoked nor expired.
    pub fn usable_user_tokens(&self, login: &str) -> usize {
        let store = self.shared.lock();
        store.tokens.usable_of(&login.to_ascii_lowercase(), store.clock.now())
    }

    /// Every access and refresh token ever issued to this login, revoked or not: what a test looks for where no
    /// token may appear (logs, pages).
    pub fn issued_user_tokens(&self, login: &str) -> Vec<String> {
        self.shared.lock().tokens.issued_to(&login.to_ascii_lowercase())
    }

    /// Makes every token issued to this login invalid (as if the user disconnected the app):
    /// validate → 401, refresh → 400. Their authorizations are forgotten too, so EventSub no
    /// longer counts them as having granted any scope. Unlike
    /// [`MockTwitch::revoke_user_authorization`], it sends no EventSub messages.
    pub fn revoke_user_tokens(&self, login: &str) {
        let login = login.to_ascii_lowercase();
        let mut store = self.shared.lock();
        store.tokens.disconnect_user(&login);
        store.authorizations.forget_user(&login);
    }

    /// True if this access token was revoked through POST /oauth2/revoke.
    pub fn was_revoked(&self, access_token: &str) -> bool {
        self.shared.lock().tokens.was_revoked_by_client(access_token)
    }

    /// Number of requests received per path (e.g. "/oauth2/token"), for tests that count calls.
    /// The path is the one the mock's router sees, so without any nesting prefix.
    pub fn request_count(&self, path: &str) -> usize {
        self.shared.lock().faults.request_count(path)
    }

    /// Whether a login exists (seeded streamer or someone who signed in).
    pub fn user_exists(&self, login: &str) -> bool {
        self.shared.lock().users.exists(login)
    }

    /// Test control: moves the mock's clock forward, so codes and tokens expire (and rate-limit
    /// buckets refill) without the test having to wait.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.lock().clock.advance(by);
    }

    /// Test control: stops the mock's clock (it then moves only by [`MockTwitch::advance_clock`]), so nothing
    /// expires or refills while a slow machine runs a test; `false` lets it run again.
    pub fn stop_clock(&self, stopped: bool) {
        self.shared.lock().clock.stop(stopped);
    }

    /// Serve the router on the given listener address; returns the bound address (for tests).
    /// Spawns a tokio task that serves until the runtime shuts down.
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        self.serve_on(tokio::net::TcpListener::bind(addr).await?)
    }

    /// Serves the router on a listener the caller already bound (so its address can go into the config first,
    /// without releasing the port in between). Returns the bound address.
    pub fn serve_on(&self, listener: tokio::net::TcpListener) -> std::io::Result<SocketAddr> {
        let bound = listener.local_addr()?;
        let router = self.router();
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "mock Twitch server stopped");
            }
        });
        Ok(bound)
    }

    /// The state shared by all handlers.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }
}
