//! The doors anyone can knock on without signing in, and the budget each has per address.

use std::num::NonZeroU32;

use http::Method;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
