//! The mock's in-memory state.
//!
//! One mutex guards one [`Store`]. Every request holds the lock briefly and never across an
//! `.await`, so a single lock is simpler than several and cannot deadlock. Each area of Twitch owns
//! one field of the store; a new area adds its own field and module without touching the others.
//!
//! What is not state but shared machinery (the HTTP client for webhooks, the count of challenges
//! in flight) lives beside the store in [`Shared`], outside the lock.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::watch;

use crate::authorizations::Authorizations;
use crate::clock::Clock;
use crate::eventsub::EventSubStore;
use crate::faults::Faults;
use crate::rate_limit::RateLimits;
use crate::tokens::TokenStore;
use crate::users::UserDirectory;
use crate::{MockClient, MockConfig};

/// What handlers reach through [`crate::MockTwitch::shared`].
pub(crate) struct Shared {
    /// Absolute base URL of the mock as a browser sees it; avatar URLs are built from it.
    pub(crate) public_base: String,
    /// See [`MockConfig::callbacks_under`].
    pub(crate) callbacks_under: Option<String>,
    /// Posts EventSub messages to callbacks; one client so connections are reused.
    pub(crate) webhooks: reqwest::Client,
    /// EventSub challenges sent and not yet answered; `settle` waits for zero.
    pub(crate) verifications: watch::Sender<usize>,
    store: Mutex<Store>,
}

/// All mutable state of the mock.
pub(crate) struct Store {
    /// Registered applications by client id. Fixed at start-up, as in the developer console.
    pub(crate) clients: HashMap<String, MockClient>,
    pub(crate) users: UserDirectory,
    pub(crate) tokens: TokenStore,
    pub(crate) authorizations: Authorizations,
    pub(crate) eventsub: EventSubStore,
    pub(crate) rate_limits: RateLimits,
    pub(crate) faults: Faults,
    pub(crate) clock: Clock,
}

impl Shared {
    pub(crate) fn new(config: MockConfig) -> Self {
        let clients = config.clients.into_iter().map(|client| (client.client_id.clone(), client)).collect();
        Self {
            public_base: config.public_base.trim_end_matches('/').to_owned(),
            callbacks_under: config.callbacks_under,
            webhooks: crate::eventsub::webhook_client(),
            verifications: watch::Sender::new(0),
            store: Mutex::new(Store {
                clients,
                users: UserDirectory::seeded(),
                tokens: TokenStore::default(),
                authorizations: Authorizations::default(),
                eventsub: EventSubStore::default(),
                rate_limits: RateLimits::default(),
                faults: Faults::default(),
                clock: Clock::default(),
            }),
        }
    }

    /// Locks the store. A poisoned lock means a handler panicked mid-update, which is a bug in
    /// the mock itself; failing loudly is the right answer then.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().expect("mock Twitch state lock poisoned")
    }
}
