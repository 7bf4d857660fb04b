//! Per-address rate limits on the doors anyone can knock on without signing in: pages, sign-in, actions and feed
//! sockets. Each door has its own budget per client address (refilled evenly over a minute, so a burst of up to the
//! whole minute's budget is allowed), kept by `governor`'s keyed limiter (GCRA: one timestamp per address, no
//! counters to sweep). Over budget, the answer is 429 with `Retry-After`.
//!
//! IPv6 addresses are keyed by their /64: one subscriber usually holds a whole /64, and keying by the full address
//! would let them mint 2^64 fresh budgets. Webhooks are not limited here: they are signed, and Twitch must never be
//! refused; static files are cached and cheap.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::header::RETRY_AFTER;
use http::{Method, StatusCode};

use crate::state::AppState;

/// The doors with a budget of their own, in [`Door::ALL`]'s order (their index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// Server-rendered pages.
    Page,
    /// `/auth/login` and `/auth/connect`, each of which sends the visitor to Twitch and remembers a state.
    SignIn,
    /// Server functions (the favorite) and other form posts.
    Action,
    /// Feed WebSocket upgrades.
    Socket,
}

impl Door {
    pub const ALL: [Door; 4] = [Door::Page, Door::SignIn, Door::Action, Door::Socket];

    pub fn label(self) -> &'static str {
        match self {
            Door::Page => "page",
            Door::SignIn => "sign_in",
            Door::Action => "action",
            Door::Socket => "socket",
        }
    }

    /// The door a request comes through, or `None` for paths without a budget.
    pub fn of(method: &Method, path: &str) -> Option<Door> {
        let exempt = ["/eventsub/", "/pkg/", "/healthz", "/readyz", "/metrics", "/favicon", "/mock-twitch/"];
        if exempt.iter().any(|prefix| path.starts_with(prefix)) {
            return None;
        }
        if path.starts_with("/ws/") {
            Some(Door::Socket)
        } else if path == "/auth/login" || path == "/auth/connect" {
            Some(Door::SignIn)
        } else if *method == Method::GET || *method == Method::HEAD {
            Some(Door::Page)
        } else {
            Some(Door::Action)
        }
    }
}

/// Requests per minute per address at each door; `None` turns a door's limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    pub pages: Option<NonZeroU32>,
    pub sign_ins: Option<NonZeroU32>,
    pub actions: Option<NonZeroU32>,
    pub sockets: Option<NonZeroU32>,
}

/// The limiters, shared by every request. Cheap to clone.
#[derive(Clone)]
pub struct RateLimits {
    doors: Arc<[Option<DefaultKeyedRateLimiter<IpAddr>>; 4]>,
}

impl RateLimits {
    pub fn new(budgets: Budgets) -> Self {
        let limiter = |per_minute: Option<NonZeroU32>| per_minute.map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        let doors =
            [limiter(budgets.pages), limiter(budgets.sign_ins), limiter(budgets.actions), limiter(budgets.sockets)];
        RateLimits { doors: Arc::new(doors) }
    }

    fn limiter(&self, door: Door) -> Option<&DefaultKeyedRateLimiter<IpAddr>> {
        self.doors[door as usize].as_ref()
    }

    /// Spends one request of `client`'s budget at `door`; when there is none left, how long until there is.
    pub fn check(&self, door: Door, client: IpAddr) -> Result<(), Duration> {
        let Some(limiter) = self.limiter(door) else { return Ok(()) };
        limiter.check_key(&key(client)).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets addresses whose budget is full again, so the tables hold only recent visitors.
    pub fn forget_idle(&self) {
        for limiter in self.doors.iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The key an address is limited under: IPv4 as is (and IPv4-mapped IPv6 as the IPv4 it is), IPv6 by its /64.
pub fn key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

/// The 429 a client over budget gets: when to come back, in whole seconds, and a sentence saying so.
pub fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let message = format!("too many requests from your address; try again in {seconds} s");
    (StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, seconds.to_string())], message).into_response()
}

/// Applies the budgets to every request, before any handler runs.
pub async fn enforce(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let Some(door) = Door::of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let client = crate::forwarded::client_address(peer, request.headers(), app.settings.trusted_proxy_hops);
    match app.rate_limits.check(door, client) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            app.metrics.rate_limited(door);
            tracing::debug!(door = door.label(), %client, "rate limited");
            too_many(wait)
        }
    }
}

/// Forgets idle addresses once a minute, for as long as sev runs.
pub fn spawn(app: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            app.rate_limits.forget_idle();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_addresses_share_their_64() {
        assert_eq!(key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), key(ip("2001:db8:1:2::7")));
        assert_ne!(key(ip("2001:db8:1:3::1")), key(ip("2001:db8:1:2::1")));
        assert_eq!(key(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(key(ip("203.0.113.9")), ip("203.0.113.9"));
    }

    #[test]
    fn doors_are_told_apart_by_path_and_method() {
        assert_eq!(Door::of(&Method::GET, "/"), Some(Door::Page));
        assert_eq!(Door::of(&Method::GET, "/streamer/pixel_panda"), Some(Door::Page));
        assert_eq!(Door::of(&Method::GET, "/auth/login"), Some(Door::SignIn));
        assert_eq!(Door::of(&Method::POST, "/api/set_favorite123"), Some(Door::Action));
        assert_eq!(Door::of(&Method::POST, "/auth/logout"), Some(Door::Action));
        assert_eq!(Door::of(&Method::GET, "/ws/streamer/42"), Some(Door::Socket));
        assert_eq!(Door::of(&Method::POST, "/eventsub/callback"), None);
        assert_eq!(Door::of(&Method::GET, "/pkg/sev.wasm"), None);
        assert_eq!(Door::of(&Method::GET, "/healthz"), None);
    }

    #[test]
    fn a_budget_is_spent_then_refilled_and_addresses_do_not_share() {
        let per_minute = NonZeroU32::new(3);
        let limits = RateLimits::new(Budgets { pages: per_minute, sign_ins: None, actions: None, sockets: None });
        let (a, b) = (ip("203.0.113.1"), ip("203.0.113.2"));
        for _ in 0..3 {
            assert_eq!(limits.check(Door::Page, a), Ok(()));
        }
        let wait = limits.check(Door::Page, a).expect_err("the fourth in a minute is refused");
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20), "{wait:?}");
        assert_eq!(limits.check(Door::Page, b), Ok(()), "another address has its own budget");
        assert_eq!(limits.check(Door::SignIn, a), Ok(()), "a door without a limit");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let r = too_many(Duration::from_millis(1200));
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[RETRY_AFTER], "2");
        assert_eq!(too_many(Duration::ZERO).headers()[RETRY_AFTER], "1");
    }
}
