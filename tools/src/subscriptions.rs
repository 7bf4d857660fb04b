//! `sev-tools subscriptions`: the operator's view of the EventSub subscriptions sev keeps.

use sev::config::Settings;
use sev::storage::Db;

/// Prints one line per subscription, with its status and last error.
pub async fn print(settings: &Settings) -> Result<bool, String> {
    let db = Db::open(&settings.database_url, 1).await.map_err(|e| e.to_string())?;
    let rows = db.all_subscriptions().await.map_err(|e| e.to_string())?;
    println!("{:<12} {:<52} {:<3} {:<38} {:<40} last error", "streamer", "type", "v", "status", "twitch id");
    for r in &rows {
        println!(
            "{:<12} {:<52} {:<3} {:<38} {:<40} {}",
            r.streamer_id.as_deref().unwrap_or("(app)"),
            r.kind,
            r.version,
            r.status,
            r.twitch_id.as_deref().unwrap_or("-"),
            r.last_error.as_deref().unwrap_or("")
        );
    }
    println!("{} subscriptions", rows.len());
    Ok(true)
}
