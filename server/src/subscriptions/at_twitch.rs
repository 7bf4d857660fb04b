//! Twitch's side of the subscriptions: listing every one the app has, deleting one.

use twitch::TwitchError;
use twitch::eventsub::Subscription;

use crate::state::AppState;

/// Twitch answers a page of at most 100; this bounds a runaway cursor loop.
const MAX_PAGES: usize = 1_000;

/// Every subscription of the app, following the cursor through every page.
pub async fn list_all(app: &AppState) -> Result<Vec<Subscription>, TwitchError> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let after = cursor.clone();
        let page = app
            .twitch
            .with_app_token(|token| {
                let after = after.clone();
                async move { app.twitch.helix().subscriptions_page(&token, after.as_deref()).await }
            })
            .await?;
        let empty = page.data.is_empty();
        all.extend(page.data);
        cursor = page.pagination.cursor.filter(|c| !c.is_empty());
        if cursor.is_none() || empty {
            break;
        }
    }
    Ok(all)
}

/// Deletes a subscription at Twitch; true when it is gone (or never existed: `None`).
pub(super) async fn delete_at_twitch(app: &AppState, twitch_id: Option<&str>) -> bool {
    let Some(id) = twitch_id else { return true };
    match app
        .twitch
        .with_app_token(|token| async move { app.twitch.helix().delete_subscription(&token, id).await })
        .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, subscription = id, "cannot delete a subscription at Twitch");
            false
        }
    }
}
