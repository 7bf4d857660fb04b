//! The server half of the pages' server functions (see `app::backend`).

use http::HeaderMap;
use leptos::prelude::ServerFnError;

use app::backend::{Backend, BoxFuture};
use app::login::normalize_login;
use app::models::{FavoriteOutcome, StreamerPageData, StreamerProfile, Viewer};
use twitch::{HelixUser, TwitchError};

use crate::auth::session;
use crate::state::AppState;
use crate::storage::now;
use crate::subscriptions;

pub struct ServerBackend {
    app: AppState,
}

impl ServerBackend {
    pub fn new(app: AppState) -> Self {
        ServerBackend { app }
    }
}

/// Logs the real cause and gives the browser a message without internals.
fn internal(e: impl std::fmt::Display) -> ServerFnError {
    tracing::error!(error = %e, "server function failed");
    ServerFnError::new("sev had a problem; please try again")
}

/// A streamer's profile as sev stores and shows it, from what Helix says about them.
pub(crate) fn streamer_profile(user: &HelixUser) -> StreamerProfile {
    StreamerProfile {
        twitch_id: user.id.clone(),
        login: user.login.to_ascii_lowercase(),
        display_name: user.display_name.clone(),
        profile_image_url: user.profile_image_url.clone(),
    }
}

impl ServerBackend {
    /// Asks Twitch for a streamer and stores what it says.
    async fn look_up(&self, login: &str) -> Result<Option<StreamerProfile>, TwitchError> {
        let Some(user) = self.app.twitch.user_by_login(login).await? else {
            return Ok(None);
        };
        let streamer = streamer_profile(&user);
        if let Err(e) = self.app.db.upsert_streamer(&streamer, &user.broadcaster_type, now()).await {
            tracing::error!(error = %e, "cannot store a streamer");
        }
        Ok(Some(streamer))
    }

    /// A streamer's profile as stored when it is younger than PROFILE_CACHE_SECS, else as Twitch says now. Many
    /// viewers pick the same few streamers, so most picks cost no Helix point.
    async fn cached_or_look_up(&self, login: &str) -> Result<Option<StreamerProfile>, TwitchError> {
        let since = now() - self.app.settings.profile_cache.as_secs() as i64;
        match self.app.db.fresh_streamer_by_login(login, since).await {
            Ok(Some(streamer)) => return Ok(Some(streamer)),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the stored streamer; asking Twitch"),
        }
        self.look_up(login).await
    }

    async fn favorite(&self, headers: &HeaderMap, raw: &str) -> Result<FavoriteOutcome, ServerFnError> {
        let refuse = |message: String| Ok(FavoriteOutcome::Refused { message });
        let Some(viewer) = session::viewer(&self.app, headers).await.map_err(internal)? else {
            return refuse("Please sign in again: your session has ended.".into());
        };
        let login = match normalize_login(raw) {
            Ok(login) => login,
            Err(e) => return refuse(e.to_string()),
        };
        let streamer = match self.cached_or_look_up(&login).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return refuse(format!("Twitch has no streamer called “{login}”. Check the spelling."));
            }
            Err(e) => {
                tracing::warn!(error = %e, "streamer lookup failed");
                return refuse("Twitch could not be reached to check this name. Please try again in a moment.".into());
            }
        };
        self.app.db.set_favorite(&viewer.twitch_id, &streamer.twitch_id, now()).await.map_err(internal)?;
        tracing::info!(user_id = %viewer.twitch_id, streamer = %streamer.login, "favorite streamer set");
        // The first viewer to pick a streamer creates their shared set; later ones find it there.
        match subscriptions::ensure_streamer(&self.app, &streamer.twitch_id).await {
            Ok(ensured) => tracing::info!(streamer = %streamer.login, ?ensured, "listening to the streamer"),
            Err(e) => tracing::error!(error = %e, "cannot set up the streamer's subscriptions"),
        }
        Ok(FavoriteOutcome::Saved { login: streamer.login })
    }

    async fn find_streamer(&self, raw: &str) -> Result<Option<StreamerProfile>, ServerFnError> {
        let Ok(login) = normalize_login(raw) else {
            return Ok(None);
        };
        if let Some(s) = self.app.db.streamer_by_login(&login).await.map_err(internal)? {
            return Ok(Some(s));
        }
        self.look_up(&login).await.map_err(internal)
    }
}

impl ServerBackend {
    async fn page(&self, headers: &HeaderMap, raw: &str) -> Result<Option<StreamerPageData>, ServerFnError> {
        let Some(profile) = self.find_streamer(raw).await? else { return Ok(None) };
        let db = &self.app.db;
        let id = profile.twitch_id.clone();
        let viewer = session::viewer(&self.app, headers).await.map_err(internal)?;
        let problem = db
            .subscriptions_of(&id)
            .await
            .map_err(internal)?
            .into_iter()
            .find(|r| r.status.is_quota_problem())
            .and_then(|r| r.last_error);
        let (online, online_changed_at_ms) = db.online_state(&id).await.map_err(internal)?;
        Ok(Some(StreamerPageData {
            online,
            online_changed_at_ms,
            connected: db.channel_scopes(&id).await.map_err(internal)?.is_some(),
            problem,
            viewer_is_streamer: viewer.is_some_and(|v| v.twitch_id == id),
            demo: self.app.settings.is_demo(),
            events: db
                .recent_events(&id, app::feed::FEED_LENGTH as i64)
                .await
                .map_err(internal)?
                .into_iter()
                .map(crate::feed::read)
                .collect(),
            embed_parents: self.app.settings.embed_parents.clone(),
            now_ms: crate::storage::now_ms(),
            profile,
        }))
    }
}

impl Backend for ServerBackend {
    fn viewer<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, Result<Option<Viewer>, ServerFnError>> {
        Box::pin(async move { session::viewer(&self.app, headers).await.map_err(internal) })
    }

    fn set_favorite<'a>(
        &'a self,
        headers: &'a HeaderMap,
        login: String,
    ) -> BoxFuture<'a, Result<FavoriteOutcome, ServerFnError>> {
        Box::pin(async move { self.favorite(headers, &login).await })
    }

    fn streamer_page<'a>(
        &'a self,
        headers: &'a HeaderMap,
        login: String,
    ) -> BoxFuture<'a, Result<Option<StreamerPageData>, ServerFnError>> {
        Box::pin(async move { self.page(headers, &login).await })
    }
}
