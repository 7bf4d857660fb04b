//! Helix, Twitch's REST API. Only the calls sev makes live here.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::TwitchError;
use crate::http::{self, Bucket};
use crate::stats::ApiStats;

/// A user as `GET /helix/users` returns it. Fields Twitch may drop or add are defaulted, never required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelixUser {
    pub id: String,
    pub login: String,
    pub display_name: String,
    #[serde(default)]
    pub broadcaster_type: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub profile_image_url: String,
}

#[derive(Deserialize)]
struct DataPage<T> {
    data: Vec<T>,
}

/// Twitch allows at most this many ids and logins together in one users request.
pub const MAX_USERS_PER_REQUEST: usize = 100;

/// A Helix client for one application.
#[derive(Clone)]
pub struct Helix {
    http: reqwest::Client,
    base: String,
    client_id: String,
    pub(crate) stats: Arc<ApiStats>,
}

impl Helix {
    pub fn new(http: reqwest::Client, base: &str, client_id: &str) -> Self {
        Helix {
            http,
            base: base.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            stats: Arc::default(),
        }
    }

    /// What this client has asked of Twitch.
    pub fn stats(&self) -> &Arc<ApiStats> {
        &self.stats
    }

    /// A Helix request with the two headers every call needs.
    pub(crate) fn request(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("Client-Id", &self.client_id)
    }

    /// Looks users up by login and by id with the app token. Unknown ones are simply absent from the answer, as
    /// on Twitch.
    pub async fn users(&self, token: &str, logins: &[&str], ids: &[&str]) -> Result<Vec<HelixUser>, TwitchError> {
        self.users_drawing_on(Bucket::App, token, logins, ids).await
    }

    /// [`Helix::users`] with a viewer's own token, whose rate-limit bucket is the viewer's, not the app's.
    pub async fn users_as_viewer(
        &self,
        token: &str,
        logins: &[&str],
        ids: &[&str],
    ) -> Result<Vec<HelixUser>, TwitchError> {
        self.users_drawing_on(Bucket::Viewer, token, logins, ids).await
    }

    async fn users_drawing_on(
        &self,
        bucket: Bucket,
        token: &str,
        logins: &[&str],
        ids: &[&str],
    ) -> Result<Vec<HelixUser>, TwitchError> {
        if logins.len() + ids.len() > MAX_USERS_PER_REQUEST {
            return Err(TwitchError::Rejected {
                status: 400,
                message: format!("at most {MAX_USERS_PER_REQUEST} users per request"),
            });
        }
        let query: Vec<(&str, &str)> =
            logins.iter().map(|l| ("login", *l)).chain(ids.iter().map(|i| ("id", *i))).collect();
        let request = self.request(reqwest::Method::GET, "/users", token).query(&query);
        let body = http::send(&self.stats, "helix_users", bucket, request).await?;
        Ok(http::parse::<DataPage<HelixUser>>(&body, "users")?.data)
    }
}
