//! Setting the load's streamers up the way people do: each streamer signs in through sev's OAuth flow (answered
//! on the mock Twitch's authorize page) and picks themselves as favorite, which makes sev create their EventSub
//! subscriptions. sev accepts notifications only for subscriptions it keeps, so the load then reads each
//! streamer's id and `channel.update` subscription id from sev's database.
//!
//! Only the mock Twitch (demo mode, or a sev whose TWITCH_OAUTH_URL points at a mock) signs anyone in on a form
//! post; against real Twitch this setup stops at the authorize page.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::redirect::Policy;
use serde::{Deserialize, Serialize};
use url::Url;

use app::models::FavoriteOutcome;

use super::{LoadError, event_spec};
use sev::storage::Db;

/// A streamer ready to receive load: who, and the subscription its events come under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Streamer {
    pub login: String,
    /// The Twitch user id, which names the feed socket.
    pub id: String,
    pub subscription_id: String,
}

/// Streamers set up at once.
const AT_ONCE: usize = 4;
/// Longest wait for sev to record a streamer's subscription after the pick.
const SUBSCRIPTION_WAIT: Duration = Duration::from_secs(15);

/// Signs in and picks each of `logins` on `target`, then reads their ids from `db`.
pub async fn set_up_streamers(target: &Url, db: &Db, logins: &[String]) -> Result<Vec<Streamer>, LoadError> {
    stream::iter(logins.iter().map(|login| async move {
        sign_in_and_pick(target, login).await.map_err(|problem| LoadError::Setup { login: login.clone(), problem })?;
        subscription_of(db, login).await
    }))
    .buffered(AT_ONCE)
    .try_collect()
    .await
}

fn browser() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| e.to_string())
}

fn location(response: &reqwest::Response) -> Result<Url, String> {
    let base = response.url().clone();
    let raw = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("{} answered {} without a redirect", response.url(), response.status()))?;
    base.join(raw).map_err(|e| format!("bad redirect {raw:?}: {e}"))
}

/// `path` (with its query) on `target`: sev's own redirects use PUBLIC_URL, but the cookies live on the host the
/// load talks to.
fn on_target(target: &Url, path_and_query: &Url) -> Result<Url, String> {
    let mut url = target.join(path_and_query.path()).map_err(|e| e.to_string())?;
    url.set_query(path_and_query.query());
    Ok(url)
}

async fn sign_in_and_pick(target: &Url, login: &str) -> Result<(), String> {
    let browser = browser()?;
    let fail = |what: &str, e: reqwest::Error| format!("{what}: {e}");
    let login_url = target.join("/auth/login").map_err(|e| e.to_string())?;
    let r = browser.get(login_url).send().await.map_err(|e| fail("cannot start a sign-in", e))?;
    if !r.status().is_redirection() {
        return Err(format!("/auth/login answered {} instead of sending to Twitch", r.status()));
    }
    let authorize = location(&r)?;

    let page = browser.get(authorize.clone()).send().await.map_err(|e| fail("cannot open the authorize page", e))?;
    if page.status() != 200 {
        return Err(format!("the authorize page {authorize} answered {}", page.status()));
    }
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("login".into(), login.into()));
    form.push(("decision".into(), "authorize".into()));
    let mut action = authorize.clone();
    action.set_query(None);
    let r = browser.post(action).form(&form).send().await.map_err(|e| fail("cannot authorize", e))?;
    if !r.status().is_redirection() {
        return Err(format!(
            "the authorize page answered {} to a sign-in: setting streamers up needs the mock Twitch (demo mode)",
            r.status()
        ));
    }
    let callback = on_target(target, &location(&r)?)?;
    let r = browser.get(callback).send().await.map_err(|e| fail("cannot finish the sign-in", e))?;
    let home = location(&r).map(|u| u.to_string()).unwrap_or_default();
    if !r.status().is_redirection() || home.contains("reason=") {
        return Err(format!("the sign-in failed: {} {home}", r.status()));
    }

    let pick = target.join(<app::api::SetFavorite as leptos::server_fn::ServerFn>::PATH).map_err(|e| e.to_string())?;
    let r = browser
        .post(pick)
        .header(http::header::ACCEPT, "application/json")
        .form(&[("login", login)])
        .send()
        .await
        .map_err(|e| fail("cannot pick the streamer", e))?;
    if r.status() != 200 {
        return Err(format!("picking the streamer answered {}", r.status()));
    }
    match r.json::<FavoriteOutcome>().await.map_err(|e| fail("unexpected answer to the pick", e))? {
        FavoriteOutcome::Saved { .. } => Ok(()),
        FavoriteOutcome::Refused { message } => Err(format!("sev refused the pick: {message}")),
    }
}

/// Waits until sev has recorded the streamer and a Twitch id for their `channel.update` subscription.
async fn subscription_of(db: &Db, login: &str) -> Result<Streamer, LoadError> {
    let spec = event_spec();
    let deadline = Instant::now() + SUBSCRIPTION_WAIT;
    let mut seen = "no streamer record".to_string();
    while Instant::now() < deadline {
        if let Some(profile) = db.streamer_by_login(login).await? {
            let rows = db.subscriptions_of(&profile.twitch_id).await?;
            let row = rows.into_iter().find(|r| r.kind == spec.kind && r.version == spec.version);
            match row {
                Some(row) if matches!(row.status.as_str(), "enabled" | "webhook_callback_verification_pending") => {
                    if let Some(subscription_id) = row.twitch_id {
                        return Ok(Streamer { login: login.to_string(), id: profile.twitch_id, subscription_id });
                    }
                }
                Some(row) => {
                    seen =
                        format!("status {}{}", row.status, row.last_error.map(|e| format!(": {e}")).unwrap_or_default())
                }
                None => seen = format!("no {} subscription", spec.kind),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(LoadError::Setup {
        login: login.to_string(),
        problem: format!("sev's database shows {seen} after {} s", SUBSCRIPTION_WAIT.as_secs()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sev_redirects_are_followed_on_the_target() {
        let target = Url::parse("http://127.0.0.1:4000").unwrap();
        let callback = Url::parse("http://localhost:3000/auth/callback?code=a&state=b").unwrap();
        assert_eq!(
            on_target(&target, &callback).unwrap().as_str(),
            "http://127.0.0.1:4000/auth/callback?code=a&state=b"
        );
    }
}
